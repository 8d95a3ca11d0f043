package localorg

import (
	"errors"
	"testing"

	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// checkRows checks what a batch reader made of its input: the CSV it
// renders reads back as the same header and rows.
func checkRows(t *testing.T, br *batchRows) {
	t.Helper()
	if len(br.header) == 0 {
		// No fields at all ([] or [{}]): the batch fails for want of a
		// header when processed.
		return
	}
	rd := sfcsv.NewReader(br.csv(), ',', sfcsv.CRLF)
	header, _, err := rd.Read()
	if err != nil {
		t.Fatalf("rendered CSV has no header: %v\n%s", err, br.csv())
	}
	if len(header) != len(br.header) {
		t.Fatalf("header %q, want %q", header, br.header)
	}
	for i, want := range br.rows {
		cells, _, err := rd.Read()
		if err != nil {
			t.Fatalf("row %d: %v\n%s", i, err, br.csv())
		}
		if len(cells) != len(br.header) {
			t.Fatalf("row %d has %d cells, header %d", i, len(cells), len(br.header))
		}
		for k, c := range want {
			if cells[k] != c {
				t.Fatalf("row %d cell %d: %q, want %q", i, k, cells[k], c)
			}
		}
	}
	if _, _, err := rd.Read(); !errors.Is(err, sfcsv.ErrEOF) {
		t.Fatalf("rows after the last: %v", err)
	}
}

func FuzzXMLBatchRows(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload"><sObject><Name>a, "b"</Name><Description xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></sObject></sObjects>`))
	f.Add([]byte(`<sObjects><sObject><Who><sObject><type>Lead</type><Email>x@y.z</Email></sObject></Who></sObject><sObject/></sObjects>`))
	f.Add([]byte("<sObjects><sObject><Name>line\r\nbreak</Name></sObject></sObjects>"))
	f.Add([]byte(`<sObjects><sObject><Name>x</sObject>`))
	f.Add(conformance.Read("bulk1/request-job-create-insert-jsforce.xml"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br, err := xmlBatchRows(data)
		if err != nil {
			return
		}
		checkRows(t, br)
	})
}

func FuzzJSONBatchRows(f *testing.F) {
	f.Add([]byte(`[{"Name":"a","NumberOfEmployees":10,"IsActive":true,"Description":null}]`))
	f.Add([]byte(`[{"attributes":{"type":"Contact"},"LastName":"x","ReportsTo":{"Email":"a@b.c"}},{"lastname":"y"}]`))
	f.Add([]byte(`[{"Who":{"attributes":{"type":"Lead"},"Email":"x"}}]`))
	f.Add([]byte(`[{"a":[1]}]`))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		br, err := jsonBatchRows(data)
		if err != nil {
			return
		}
		checkRows(t, br)
	})
}

func FuzzParseJobInfo(f *testing.F) {
	for _, name := range []string{"request-job-create-insert-jsforce.xml", "request-job-create-insert-curl.xml",
		"request-job-create-upsert-cumulusci.xml", "request-job-close-curl.xml"} {
		f.Add(conformance.Read("bulk1/"+name), false)
	}
	f.Add([]byte(`{"operation":"insert","object":"Account","contentType":"JSON","concurrencyMode":1}`), true)
	f.Add([]byte(`{"state":"Closed"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		s, err := parseJobInfo(data, asJSON)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %T %v is not an API error", err, err)
			}
			return
		}
		if s.concurrencyMode != "Parallel" && s.concurrencyMode != "Serial" {
			t.Fatalf("concurrencyMode %q", s.concurrencyMode)
		}
	})
}

func TestParseJobInfoReadsRecordedRequests(t *testing.T) {
	s, err := parseJobInfo(conformance.Read("bulk1/request-job-create-upsert-cumulusci.xml"), false)
	if err != nil || s.operation != "upsert" || s.object != "Contact" || s.externalID != "Id" || s.contentType != "CSV" || s.concurrencyMode != "Parallel" {
		t.Errorf("%+v %v", s, err)
	}
	s, err = parseJobInfo([]byte(`{"object":"Account","operation":"insert","contentType":"JSON","concurrencyMode":1}`), true)
	if err != nil || s.concurrencyMode != "Serial" || s.contentType != "JSON" {
		t.Errorf("%+v %v", s, err)
	}
}
