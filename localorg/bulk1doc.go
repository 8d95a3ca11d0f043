package localorg

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// The Bulk 1.0 namespaces.
const (
	asyncNS = "http://www.force.com/2009/06/asyncapi/dataload"
	xsiNS   = "http://www.w3.org/2001/XMLSchema-instance"
)

// asyncDoc is a Bulk 1.0 answer body and its Content-Type.
type asyncDoc struct {
	contentType string
	body        []byte
}

// xmlDoc writes Bulk 1.0 XML the way Salesforce's writer lays it out
// (recorded byte for byte): the prolog and the root's name on one line,
// each namespace declaration on its own line indented three spaces, one
// space of indent per level, no newline at the end.
type xmlDoc struct {
	b []byte
}

func newXMLDoc(root string, namespaces ...string) *xmlDoc {
	d := &xmlDoc{b: make([]byte, 0, 1024)}
	d.b = append(d.b, `<?xml version="1.0" encoding="UTF-8"?><`...)
	d.b = append(d.b, root...)
	for i := 0; i < len(namespaces); i += 2 {
		d.b = append(d.b, "\n   "...)
		d.b = append(d.b, namespaces[i]...)
		d.b = append(d.b, `="`...)
		d.b = append(d.b, namespaces[i+1]...)
		d.b = append(d.b, '"')
	}
	d.b = append(d.b, '>')
	return d
}

// emptyXMLDoc is a root with no children: self-closing, as recorded for
// an empty batchInfoList.
func emptyXMLDoc(root string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><` + root + "\n   xmlns=\"" + asyncNS + "\" />")
}

func (d *xmlDoc) indent(depth int) {
	d.b = append(d.b, '\n')
	for range depth {
		d.b = append(d.b, ' ')
	}
}

// elem writes <name>text</name> on its own line.
func (d *xmlDoc) elem(depth int, name, text string) {
	d.indent(depth)
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	d.b = append(d.b, '>')
	d.b = appendXMLText(d.b, text)
	d.b = append(d.b, "</"...)
	d.b = append(d.b, name...)
	d.b = append(d.b, '>')
}

// nilElem writes <name xsi:nil="true"/>.
func (d *xmlDoc) nilElem(depth int, name string) {
	d.indent(depth)
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	d.b = append(d.b, ` xsi:nil="true"/>`...)
}

// open and close write a start tag (with optional attributes) and an end
// tag on their own lines.
func (d *xmlDoc) open(depth int, name string, attrs ...string) {
	d.indent(depth)
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	for _, a := range attrs {
		d.b = append(d.b, ' ')
		d.b = append(d.b, a...)
	}
	d.b = append(d.b, '>')
}

func (d *xmlDoc) close(depth int, name string) {
	d.indent(depth)
	d.b = append(d.b, "</"...)
	d.b = append(d.b, name...)
	d.b = append(d.b, '>')
}

// end closes the root and returns the document.
func (d *xmlDoc) end(root string) []byte {
	d.close(0, root)
	return d.b
}

// appendXMLText escapes text for an element's content. Characters XML
// cannot carry become U+FFFD, so the document always parses.
func appendXMLText(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&quot;"...)
		case r == '\r':
			b = append(b, "&#13;"...)
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\n', r == 0xFFFE, r == 0xFFFF:
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// sortedJSON returns o with its keys in alphabetical order, as Bulk 1.0
// writes JSON (recorded).
func sortedJSON(o jsonw.Object) jsonw.Object {
	slices.SortStableFunc(o, func(a, b jsonw.Member) int { return cmp.Compare(a.Key, b.Key) })
	return o
}

func jsonDoc(v any) asyncDoc {
	return asyncDoc{contentType: "application/json", body: jsonw.Compact(v)}
}

func xmlAnswer(b []byte) asyncDoc { return asyncDoc{contentType: ctXML, body: b} }

// asyncTime renders a stamp in Bulk 1.0 XML (2021-04-16T14:47:55.000Z)
// or JSON (2015-12-15T20:45:25.000+0000).
func asyncTime(t time.Time, asJSON bool) string {
	if asJSON {
		return jsonTime(t)
	}
	return formatStamp(t)
}

// errorDoc is a Bulk 1.0 error body.
func errorDoc(code, msg string, asJSON bool) asyncDoc {
	if asJSON {
		return jsonDoc(jsonw.Object{}.Add("exceptionCode", code).Add("exceptionMessage", msg))
	}
	d := newXMLDoc("error", "xmlns", asyncNS)
	d.elem(1, "exceptionCode", code)
	d.elem(1, "exceptionMessage", msg)
	return xmlAnswer(d.end("error"))
}

// jobInfoDoc renders a jobInfo: XML in Salesforce's element order, or
// JSON with alphabetical keys.
func jobInfoDoc(j *Job, n asyncCounts, asJSON bool) asyncDoc {
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	if asJSON {
		o := jsonw.Object{}.
			Add("apexProcessingTime", j.ApexProcessingTime).
			Add("apiActiveProcessingTime", j.APIActiveProcessingTime).
			Add("apiVersion", jsonw.Number(j.APIVersion)).
			Add("concurrencyMode", j.ConcurrencyMode).
			Add("contentType", j.ContentType).
			Add("createdById", j.CreatedByID).
			Add("createdDate", asyncTime(j.CreatedDate, true)).
			Add("id", j.ID).
			Add("numberBatchesCompleted", n.completed).
			Add("numberBatchesFailed", n.failed).
			Add("numberBatchesInProgress", n.inProgress).
			Add("numberBatchesQueued", n.queued).
			Add("numberBatchesTotal", n.total).
			Add("numberRecordsFailed", j.RecordsFailed).
			Add("numberRecordsProcessed", j.RecordsProcessed).
			Add("numberRetries", j.Retries).
			Add("object", j.Object).
			Add("operation", j.Operation).
			Add("state", j.State).
			Add("systemModstamp", asyncTime(j.SystemModstamp, true)).
			Add("totalProcessingTime", j.TotalProcessingTime)
		if j.ExternalIDField != "" {
			o = o.Add("externalIdFieldName", j.ExternalIDField)
		}
		if j.AssignmentRuleID != "" {
			o = o.Add("assignmentRuleId", j.AssignmentRuleID)
		}
		return jsonDoc(sortedJSON(o))
	}
	d := newXMLDoc("jobInfo", "xmlns", asyncNS)
	d.elem(1, "id", j.ID)
	d.elem(1, "operation", j.Operation)
	d.elem(1, "object", j.Object)
	d.elem(1, "createdById", j.CreatedByID)
	d.elem(1, "createdDate", asyncTime(j.CreatedDate, false))
	d.elem(1, "systemModstamp", asyncTime(j.SystemModstamp, false))
	d.elem(1, "state", j.State)
	if j.ExternalIDField != "" {
		d.elem(1, "externalIdFieldName", j.ExternalIDField)
	}
	d.elem(1, "concurrencyMode", j.ConcurrencyMode)
	d.elem(1, "contentType", j.ContentType)
	d.elem(1, "numberBatchesQueued", i64(n.queued))
	d.elem(1, "numberBatchesInProgress", i64(n.inProgress))
	d.elem(1, "numberBatchesCompleted", i64(n.completed))
	d.elem(1, "numberBatchesFailed", i64(n.failed))
	d.elem(1, "numberBatchesTotal", i64(n.total))
	d.elem(1, "numberRecordsProcessed", i64(j.RecordsProcessed))
	d.elem(1, "numberRetries", i64(j.Retries))
	d.elem(1, "apiVersion", j.APIVersion)
	if j.AssignmentRuleID != "" {
		d.elem(1, "assignmentRuleId", j.AssignmentRuleID)
	}
	d.elem(1, "numberRecordsFailed", i64(j.RecordsFailed))
	d.elem(1, "totalProcessingTime", i64(j.TotalProcessingTime))
	d.elem(1, "apiActiveProcessingTime", i64(j.APIActiveProcessingTime))
	d.elem(1, "apexProcessingTime", i64(j.ApexProcessingTime))
	return xmlAnswer(d.end("jobInfo"))
}

// batchInfoJSON is a batchInfo as JSON: alphabetical keys, stateMessage
// null when there is none (recorded).
func batchInfoJSON(b *Batch) jsonw.Object {
	var msg any
	if b.StateMessage != "" {
		msg = b.StateMessage
	}
	return jsonw.Object{}.
		Add("apexProcessingTime", b.ApexProcessingTime).
		Add("apiActiveProcessingTime", b.APIActiveProcessingTime).
		Add("createdDate", asyncTime(b.CreatedDate, true)).
		Add("id", b.ID).
		Add("jobId", b.JobID).
		Add("numberRecordsFailed", b.RecordsFailed).
		Add("numberRecordsProcessed", b.RecordsProcessed).
		Add("state", b.State).
		Add("stateMessage", msg).
		Add("systemModstamp", asyncTime(b.SystemModstamp, true)).
		Add("totalProcessingTime", b.TotalProcessingTime)
}

// batchInfoXML writes a batchInfo's elements at depth.
func batchInfoXML(d *xmlDoc, depth int, b *Batch) {
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	d.elem(depth, "id", b.ID)
	d.elem(depth, "jobId", b.JobID)
	d.elem(depth, "state", b.State)
	if b.StateMessage != "" {
		d.elem(depth, "stateMessage", b.StateMessage)
	}
	d.elem(depth, "createdDate", asyncTime(b.CreatedDate, false))
	d.elem(depth, "systemModstamp", asyncTime(b.SystemModstamp, false))
	d.elem(depth, "numberRecordsProcessed", i64(b.RecordsProcessed))
	d.elem(depth, "numberRecordsFailed", i64(b.RecordsFailed))
	d.elem(depth, "totalProcessingTime", i64(b.TotalProcessingTime))
	d.elem(depth, "apiActiveProcessingTime", i64(b.APIActiveProcessingTime))
	d.elem(depth, "apexProcessingTime", i64(b.ApexProcessingTime))
}

func batchInfoDoc(b *Batch, asJSON bool) asyncDoc {
	if asJSON {
		return jsonDoc(batchInfoJSON(b))
	}
	d := newXMLDoc("batchInfo", "xmlns", asyncNS)
	batchInfoXML(d, 1, b)
	return xmlAnswer(d.end("batchInfo"))
}

// batchListDoc is a job's batches: {"batchInfo":[…]} or <batchInfoList>.
func batchListDoc(batches []*Batch, asJSON bool) asyncDoc {
	if asJSON {
		list := make([]any, 0, len(batches))
		for _, b := range batches {
			list = append(list, batchInfoJSON(b))
		}
		return jsonDoc(jsonw.Object{}.Add("batchInfo", list))
	}
	if len(batches) == 0 {
		return xmlAnswer(emptyXMLDoc("batchInfoList"))
	}
	d := newXMLDoc("batchInfoList", "xmlns", asyncNS)
	for _, b := range batches {
		d.open(1, "batchInfo")
		batchInfoXML(d, 2, b)
		d.close(1, "batchInfo")
	}
	return xmlAnswer(d.end("batchInfoList"))
}

// resultListDoc is a query batch's result Ids.
func resultListDoc(ids []string, asJSON bool) asyncDoc {
	if asJSON {
		list := make([]any, len(ids))
		for i, id := range ids {
			list[i] = id
		}
		return jsonDoc(list)
	}
	d := newXMLDoc("result-list", "xmlns", asyncNS)
	for _, id := range ids {
		d.elem(1, "result", id)
	}
	return xmlAnswer(d.end("result-list"))
}

// splitRowError takes apart "CODE:message:Field1,Field2 --" (or
// "CODE:message:--").
func splitRowError(s string) (code, msg string, fields []string) {
	rest := s
	switch {
	case strings.HasSuffix(rest, ":--"):
		rest = rest[:len(rest)-3]
	case strings.HasSuffix(rest, " --"):
		rest = rest[:len(rest)-3]
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			fields = strings.Split(rest[i+1:], ",")
			rest = rest[:i]
		}
	}
	code, msg, _ = strings.Cut(rest, ":")
	return code, msg, fields
}

// ingestResultsDoc renders an ingest batch's results in the job's format,
// one per input record in request order.
func ingestResultsDoc(j *Job, results []RowResult) asyncDoc {
	switch j.ContentType {
	case asyncJSON:
		list := make([]any, 0, len(results))
		for _, r := range results {
			errs := []any{}
			if !r.Success {
				code, msg, fields := splitRowError(r.Error)
				if fields == nil {
					fields = []string{}
				}
				errs = append(errs, jsonw.Object{}.Add("fields", fields).Add("message", msg).Add("statusCode", code))
			}
			var id any
			if r.ID != "" {
				id = r.ID
			}
			list = append(list, jsonw.Object{}.Add("created", r.Created).Add("errors", errs).Add("id", id).Add("success", r.Success))
		}
		return jsonDoc(list)
	case asyncXML:
		d := newXMLDoc("results", "xmlns", asyncNS, "xmlns:xsi", xsiNS)
		for _, r := range results {
			d.open(1, "result")
			if !r.Success {
				code, msg, fields := splitRowError(r.Error)
				d.open(2, "errors")
				for _, f := range fields {
					d.elem(3, "fields", f)
				}
				d.elem(3, "message", msg)
				d.elem(3, "statusCode", code)
				d.close(2, "errors")
			}
			if r.ID == "" {
				// UNCERTAIN: nil or absent (reference §8.5).
				d.nilElem(2, "id")
			} else {
				d.elem(2, "id", r.ID)
			}
			d.elem(2, "success", strconv.FormatBool(r.Success))
			d.elem(2, "created", strconv.FormatBool(r.Created))
			d.close(1, "result")
		}
		if len(results) == 0 {
			return xmlAnswer([]byte(`<?xml version="1.0" encoding="UTF-8"?><results` + "\n   xmlns=\"" + asyncNS + "\"\n   xmlns:xsi=\"" + xsiNS + "\" />"))
		}
		return xmlAnswer(d.end("results"))
	}
	w := sfcsv.NewWriter(',', sfcsv.LF)
	w.Record(`Id`, `Success`, `Created`, `Error`)
	for _, r := range results {
		w.Record(r.ID, strconv.FormatBool(r.Success), strconv.FormatBool(r.Created), r.Error)
	}
	return asyncDoc{contentType: ctCSV, body: w.Bytes()}
}
