package fakeorg

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const asyncNS = "http://www.force.com/2009/06/asyncapi/dataload"

func (o *Org) write1(w http.ResponseWriter, status int, asJSON bool, root string, fields [][2]string, list ...[][2]string) {
	if asJSON {
		m := map[string]any{}
		for _, f := range fields {
			m[f[0]] = jsonish(f[1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(m)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><` + root + "\n   xmlns=\"" + asyncNS + "\">\n")
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		b.WriteString(" <" + f[0] + ">")
		xml.EscapeText(&b, []byte(f[1]))
		b.WriteString("</" + f[0] + ">\n")
	}
	b.WriteString("</" + root + ">")
	w.Write([]byte(b.String()))
}

func jsonish(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

func err1(w http.ResponseWriter, asJSON bool, code, msg string) {
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"exceptionCode": code, "exceptionMessage": msg})
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(400)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><error
   xmlns="%s">
 <exceptionCode>%s</exceptionCode>
 <exceptionMessage>%s</exceptionMessage>
</error>`, asyncNS, code, msg)
}

func jobFields(info map[string]any) [][2]string {
	order := []string{"id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state", "externalIdFieldName", "concurrencyMode", "contentType",
		"numberBatchesQueued", "numberBatchesInProgress", "numberBatchesCompleted", "numberBatchesFailed", "numberBatchesTotal", "numberRecordsProcessed", "numberRetries", "apiVersion", "numberRecordsFailed"}
	var out [][2]string
	for _, k := range order {
		out = append(out, [2]string{k, fmt.Sprint(info[k])})
	}
	return out
}

func batchFields(info map[string]any) [][2]string {
	order := []string{"id", "jobId", "state", "stateMessage", "createdDate", "systemModstamp", "numberRecordsProcessed", "numberRecordsFailed"}
	var out [][2]string
	for _, k := range order {
		v := fmt.Sprint(info[k])
		if info[k] == nil {
			v = ""
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

func (o *Org) bulk1(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // services async ver job [id [batch [bid [result [rid]]]]]
	ver := parts[2]
	p := parts[3:]
	isJSONReq := strings.Contains(r.Header.Get("Content-Type"), "json")
	if len(p) == 1 && r.Method == http.MethodPost { // create job
		var spec struct {
			Operation   string `xml:"operation" json:"operation"`
			Object      string `xml:"object" json:"object"`
			ExtID       string `xml:"externalIdFieldName" json:"externalIdFieldName"`
			Concurrency string `xml:"concurrencyMode" json:"concurrencyMode"`
			ContentType string `xml:"contentType" json:"contentType"`
		}
		var err error
		if isJSONReq {
			err = json.Unmarshal(body, &spec)
		} else {
			err = xml.Unmarshal(body, &spec)
		}
		if err != nil || spec.Operation == "" || spec.Object == "" {
			err1(w, isJSONReq, "InvalidJob", "Unable to parse Job")
			return
		}
		if spec.Operation != "upsert" && spec.ExtID != "" {
			err1(w, isJSONReq, "InvalidJob", "External ID field name is only valid for upsert")
			return
		}
		if spec.Operation == "upsert" && spec.ExtID == "" {
			err1(w, isJSONReq, "InvalidJob", "External ID was blank for Account. An External ID must be specified for upsert.")
			return
		}
		if spec.ContentType == "" {
			spec.ContentType = "XML"
		}
		if spec.Concurrency == "" {
			spec.Concurrency = "Parallel"
		}
		id := o.newID("job")
		info := map[string]any{"id": id, "operation": spec.Operation, "object": spec.Object, "createdById": "005000000000001AAA",
			"createdDate": "2021-04-16T14:47:55.000Z", "systemModstamp": "2021-04-16T14:47:55.000Z", "state": "Open",
			"externalIdFieldName": spec.ExtID, "concurrencyMode": spec.Concurrency, "contentType": spec.ContentType,
			"numberBatchesQueued": 0, "numberBatchesInProgress": 0, "numberBatchesCompleted": 0, "numberBatchesFailed": 0,
			"numberBatchesTotal": 0, "numberRecordsProcessed": 0, "numberRetries": 0, "apiVersion": ver, "numberRecordsFailed": 0,
			"pkChunking": r.Header.Get("Sforce-Enable-PKChunking")}
		o.jobs1[id] = &job1{info: info}
		o.write1(w, 201, spec.ContentType == "JSON", "jobInfo", jobFields(info))
		return
	}
	if len(p) < 2 {
		err1(w, false, "InvalidUrl", "bad url")
		return
	}
	j := o.jobs1[p[1]]
	if j == nil {
		err1(w, false, "InvalidJob", "Unable to find job")
		return
	}
	asJSON := j.info["contentType"] == "JSON"
	if len(p) == 2 {
		if r.Method == http.MethodPost {
			var st struct {
				State string `xml:"state" json:"state"`
			}
			if asJSON {
				json.Unmarshal(body, &st)
			} else {
				xml.Unmarshal(body, &st)
			}
			cur := j.info["state"]
			// A closed job can still be aborted (its queued batches are
			// then not processed); nothing else leaves a closed job.
			if cur != "Open" && !(cur == "Closed" && st.State == "Aborted") {
				err1(w, asJSON, "InvalidJobState", fmt.Sprintf("Job %v is not open", cur))
				return
			}
			j.info["state"] = st.State
			if st.State == "Aborted" {
				for _, bid := range j.batches {
					b := o.batches[bid]
					if b.info["state"] == "Queued" {
						b.info["state"] = "NotProcessed"
					}
				}
			}
		}
		o.refreshJob1(j)
		o.write1(w, 200, asJSON, "jobInfo", jobFields(j.info))
		return
	}
	// batches
	if len(p) == 3 {
		if r.Method == http.MethodPost {
			if j.info["state"] != "Open" {
				err1(w, asJSON, "InvalidJobState", "Job is not open")
				return
			}
			o.addBatch1(w, j, body, asJSON)
			return
		}
		// list
		for _, bid := range j.batches {
			o.step1(o.batches[bid])
		}
		if asJSON {
			var list []map[string]any
			for _, bid := range j.batches {
				list = append(list, o.batches[bid].info)
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"batchInfo": list})
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><batchInfoList` + "\n   xmlns=\"" + asyncNS + "\">\n")
		for _, bid := range j.batches {
			b.WriteString(" <batchInfo>\n")
			for _, f := range batchFields(o.batches[bid].info) {
				if f[1] != "" {
					b.WriteString("  <" + f[0] + ">")
					xml.EscapeText(&b, []byte(f[1]))
					b.WriteString("</" + f[0] + ">\n")
				}
			}
			b.WriteString(" </batchInfo>\n")
		}
		b.WriteString("</batchInfoList>")
		w.Write([]byte(b.String()))
		return
	}
	b := o.batches[p[3]]
	if b == nil {
		err1(w, asJSON, "InvalidBatch", "Unable to find batch")
		return
	}
	switch {
	case len(p) == 4:
		o.step1(b)
		o.write1(w, 200, asJSON, "batchInfo", batchFields(b.info))
	case len(p) == 5 && p[4] == "request":
		w.Header().Set("Content-Type", b.ctype)
		w.Write(b.request)
	case len(p) == 5 && p[4] == "result":
		if j.info["operation"] == "query" || j.info["operation"] == "queryAll" {
			if asJSON {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(b.resultIDs)
				return
			}
			w.Header().Set("Content-Type", "application/xml")
			s := `<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="` + asyncNS + `">`
			for _, id := range b.resultIDs {
				s += "<result>" + id + "</result>"
			}
			w.Write([]byte(s + "</result-list>"))
			return
		}
		o.ingestResults1(w, j, b)
	case len(p) == 6 && p[4] == "result":
		w.Header().Set("Content-Type", "text/csv")
		rows := b.results
		// Two result files: split the rows in half.
		half := 1 + (len(rows)-1)/2
		if p[5] == b.resultIDs[0] {
			rows = rows[:half]
		} else {
			rows = append([][]string{rows[0]}, rows[half:]...)
		}
		o.writeResultCSV(w, rows, false)
	}
}

func (o *Org) refreshJob1(j *job1) {
	var q, ip, c, f, proc, failed int
	for _, bid := range j.batches {
		b := o.batches[bid]
		switch b.info["state"] {
		case "Queued":
			q++
		case "InProgress":
			ip++
		case "Completed":
			c++
		case "Failed":
			f++
		}
		proc += b.info["numberRecordsProcessed"].(int)
		failed += b.info["numberRecordsFailed"].(int)
	}
	j.info["numberBatchesQueued"], j.info["numberBatchesInProgress"], j.info["numberBatchesCompleted"], j.info["numberBatchesFailed"] = q, ip, c, f
	j.info["numberBatchesTotal"] = len(j.batches)
	j.info["numberRecordsProcessed"], j.info["numberRecordsFailed"] = proc, failed
}

func (o *Org) addBatch1(w http.ResponseWriter, j *job1, body []byte, asJSON bool) {
	id := o.newID("batch")
	b := &batch1{job: j, request: body, ctype: "text/csv",
		info: map[string]any{"id": id, "jobId": j.info["id"], "state": "Queued", "createdDate": "2021-04-16T14:47:55.000Z",
			"systemModstamp": "2021-04-16T14:47:55.000Z", "numberRecordsProcessed": 0, "numberRecordsFailed": 0}}
	o.batches[id] = b
	j.batches = append(j.batches, id)
	if chunking := str(j.info["pkChunking"]); chunking != "" && (j.info["operation"] == "query" || j.info["operation"] == "queryAll") {
		// The original batch is NotProcessed; two chunk batches carry the rows.
		b.info["state"] = "NotProcessed"
		all := o.queryRows(string(body))
		half := 1 + (len(all)-1)/2
		for _, part := range [][][]string{all[:half], append([][]string{all[0]}, all[half:]...)} {
			cid := o.newID("batch")
			cb := &batch1{job: j, request: body, info: map[string]any{"id": cid, "jobId": j.info["id"], "state": "Queued", "createdDate": "2021-04-16T14:47:55.000Z",
				"systemModstamp": "2021-04-16T14:47:55.000Z", "numberRecordsProcessed": 0, "numberRecordsFailed": 0}, results: part}
			cb.resultIDs = []string{o.newID("result"), o.newID("result")}
			o.batches[cid] = cb
			j.batches = append(j.batches, cid)
		}
	}
	o.write1(w, 201, asJSON, "batchInfo", batchFields(b.info))
}

// step1 advances a queued batch: InProgress for PollsBeforeDone reads, then
// processed.
func (o *Org) step1(b *batch1) {
	st := b.info["state"]
	if st != "Queued" && st != "InProgress" {
		return
	}
	if b.polls < o.PollsBeforeDone {
		b.polls++
		b.info["state"] = "InProgress"
		return
	}
	j := b.job
	op := j.info["operation"].(string)
	if op == "query" || op == "queryAll" {
		if b.results == nil {
			b.results = o.queryRows(string(b.request))
			b.resultIDs = []string{o.newID("result"), o.newID("result")}
		}
		b.info["state"] = "Completed"
		b.info["numberRecordsProcessed"] = len(b.results) - 1
		return
	}
	if o.LockBatches > 0 {
		o.LockBatches--
		b.info["state"] = "Failed"
		b.info["stateMessage"] = "TooManyLockFailure : Too many lock failures to process the batch"
		return
	}
	recs, err := parseBatch(j.info["contentType"].(string), b.request)
	if err != "" {
		b.info["state"] = "Failed"
		b.info["stateMessage"] = err
		return
	}
	res := [][]string{{"Id", "Success", "Created", "Error"}}
	nf := 0
	for _, rec := range recs {
		id, created, e := o.process(j.info["object"].(string), op, str(j.info["externalIdFieldName"]), rec)
		if e != "" {
			nf++
			res = append(res, []string{id, "false", "false", e})
		} else {
			res = append(res, []string{id, "true", strconv.FormatBool(created), ""})
		}
	}
	b.results = res
	b.info["state"] = "Completed"
	b.info["numberRecordsProcessed"] = len(recs)
	b.info["numberRecordsFailed"] = nf
}

// parseBatch reads a CSV, XML or JSON batch into records.
func parseBatch(ctype string, body []byte) ([]map[string]string, string) {
	switch ctype {
	case "JSON":
		var arr []map[string]any
		if err := json.Unmarshal(body, &arr); err != nil {
			return nil, "InvalidBatch : " + err.Error()
		}
		var out []map[string]string
		for _, m := range arr {
			rec := map[string]string{}
			for k, v := range m {
				switch t := v.(type) {
				case nil:
					rec[k] = "#N/A"
				case string:
					rec[k] = t
				case map[string]any:
					for sk, sv := range t {
						if sk != "attributes" {
							rec[k+"."+sk] = fmt.Sprint(sv)
						}
					}
				default:
					b, _ := json.Marshal(t)
					rec[k] = string(b)
				}
			}
			if f := badHeader(keys(rec)); f != "" {
				return nil, "InvalidBatch : Field name not found : " + f
			}
			out = append(out, rec)
		}
		return out, ""
	case "XML":
		var doc struct {
			SObjects []struct {
				Fields []struct {
					XMLName xml.Name
					Nil     string `xml:"nil,attr"`
					Value   string `xml:",chardata"`
					Inner   *struct {
						Fields []struct {
							XMLName xml.Name
							Value   string `xml:",chardata"`
						} `xml:",any"`
					} `xml:"sObject"`
				} `xml:",any"`
			} `xml:"sObject"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			return nil, "InvalidXml : " + err.Error()
		}
		var out []map[string]string
		for _, so := range doc.SObjects {
			rec := map[string]string{}
			for _, f := range so.Fields {
				switch {
				case f.Nil == "true":
					rec[f.XMLName.Local] = "#N/A"
				case f.Inner != nil:
					for _, in := range f.Inner.Fields {
						if in.XMLName.Local != "type" {
							rec[f.XMLName.Local+"."+in.XMLName.Local] = in.Value
						}
					}
				default:
					rec[f.XMLName.Local] = f.Value
				}
			}
			if f := badHeader(keys(rec)); f != "" {
				return nil, "InvalidBatch : Field name not found : " + f
			}
			out = append(out, rec)
		}
		return out, ""
	}
	rows, err := csvRows(body)
	if err != nil {
		return nil, "ClientInputError : " + err.Error()
	}
	if len(rows) == 0 {
		return nil, ""
	}
	if f := badHeader(rows[0]); f != "" {
		return nil, "InvalidBatch : Field name not found : " + f
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		rec := map[string]string{}
		for i, h := range rows[0] {
			if i < len(row) {
				rec[h] = row[i]
			}
		}
		out = append(out, rec)
	}
	return out, ""
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (o *Org) ingestResults1(w http.ResponseWriter, j *job1, b *batch1) {
	switch j.info["contentType"] {
	case "JSON":
		var arr []map[string]any
		for _, row := range b.results[1:] {
			m := map[string]any{"success": row[1] == "true", "created": row[2] == "true", "errors": []any{}}
			if row[0] != "" {
				m["id"] = row[0]
			} else {
				m["id"] = nil
			}
			if row[3] != "" {
				m["errors"] = []any{parseErr(row[3])}
			}
			arr = append(arr, m)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(arr)
	case "XML":
		w.Header().Set("Content-Type", "application/xml")
		var s strings.Builder
		s.WriteString(`<?xml version="1.0" encoding="UTF-8"?><results xmlns="` + asyncNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
		for _, row := range b.results[1:] {
			s.WriteString("<result>")
			if row[3] != "" {
				e := parseErr(row[3])
				s.WriteString("<errors>")
				for _, f := range e["fields"].([]string) {
					s.WriteString("<fields>" + f + "</fields>")
				}
				s.WriteString("<message>")
				xml.EscapeText(&s, []byte(e["message"].(string)))
				s.WriteString("</message><statusCode>" + e["statusCode"].(string) + "</statusCode></errors>")
			}
			if row[0] == "" {
				s.WriteString(`<id xsi:nil="true"/>`)
			} else {
				s.WriteString("<id>" + row[0] + "</id>")
			}
			s.WriteString("<success>" + row[1] + "</success><created>" + row[2] + "</created></result>")
		}
		s.WriteString("</results>")
		w.Write([]byte(s.String()))
	default:
		w.Header().Set("Content-Type", "text/csv")
		o.writeResultCSV(w, b.results, false)
	}
}
