package command

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseServe(t *testing.T) {
	tests := []struct {
		args []string
		want serveOptions
		err  bool
	}{
		{nil, serveOptions{dir: ".sfsync/localorg", addr: "127.0.0.1:8765"}, false},
		{[]string{"-dir", "x", "-addr", "0.0.0.0:9000", "-allow-remote"}, serveOptions{dir: "x", dirGiven: true, addr: "0.0.0.0:9000", allowRemote: true}, false},
		{[]string{"-chunk-delay", "200ms", "-job-delay=1s", "-session-ttl", "5m", "-jwt-cert", "c.pem"},
			serveOptions{dir: ".sfsync/localorg", addr: "127.0.0.1:8765", chunkDelay: 200 * time.Millisecond, jobDelay: time.Second, sessionTTL: 5 * time.Minute, jwtCert: "c.pem"}, false},
		{[]string{"extra"}, serveOptions{}, true},
		{[]string{"-dir", ""}, serveOptions{}, true},
		{[]string{"-chunk-delay", "-1s"}, serveOptions{}, true},
		{[]string{"-nope"}, serveOptions{}, true},
	}
	for _, tt := range tests {
		got, err := parseServe(tt.args)
		if (err != nil) != tt.err {
			t.Errorf("parseServe(%q) error %v, want error %v", tt.args, err, tt.err)
			continue
		}
		if !tt.err && got != tt.want {
			t.Errorf("parseServe(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestParseReset(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want resetOptions
		err  bool
	}{
		{nil, resetOptions{dir: ".sfsync/localorg"}, false},
		{[]string{"-new-org", "-dir", "d"}, resetOptions{dir: "d", dirGiven: true, newOrg: true}, false},
		{[]string{"x"}, resetOptions{}, true},
	} {
		got, err := parseReset(tt.args)
		if (err != nil) != tt.err || !tt.err && got != tt.want {
			t.Errorf("parseReset(%q) = %+v, %v", tt.args, got, err)
		}
	}
}

func TestParseLoad(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want loadOptions
		err  bool
	}{
		{[]string{"-object", "Account", "a.csv"}, loadOptions{dir: ".sfsync/localorg", object: "Account", operation: "insert", file: "a.csv"}, false},
		{[]string{"a.csv", "-object", "Account", "-dir", "d"}, loadOptions{dir: "d", dirGiven: true, object: "Account", operation: "insert", file: "a.csv"}, false},
		{[]string{"-object", "Account", "-operation", "upsert", "-external-id", "External_Id__c", "a.csv"},
			loadOptions{dir: ".sfsync/localorg", object: "Account", operation: "upsert", externalID: "External_Id__c", file: "a.csv"}, false},
		{[]string{"-object", "Account", "-operation", "HARDDELETE", "a.csv"}, loadOptions{dir: ".sfsync/localorg", object: "Account", operation: "hardDelete", file: "a.csv"}, false},
		{[]string{"a.csv"}, loadOptions{}, true},
		{[]string{"-object", "Account"}, loadOptions{}, true},
		{[]string{"-object", "Account", "a.csv", "b.csv"}, loadOptions{}, true},
		{[]string{"-object", "Account", "-operation", "merge", "a.csv"}, loadOptions{}, true},
		{[]string{"-object", "Account", "-operation", "upsert", "a.csv"}, loadOptions{}, true},
		{[]string{"-object", "Account", "-external-id", "X", "a.csv"}, loadOptions{}, true},
	} {
		got, err := parseLoad(tt.args)
		if (err != nil) != tt.err || !tt.err && got != tt.want {
			t.Errorf("parseLoad(%q) = %+v, %v", tt.args, got, err)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want queryOptions
		err  bool
	}{
		{[]string{"SELECT Id FROM Account"}, queryOptions{dir: ".sfsync/localorg", soql: "SELECT Id FROM Account"}, false},
		{[]string{"SELECT Id FROM Account", "-dir", "d", "-all"}, queryOptions{dir: "d", dirGiven: true, all: true, soql: "SELECT Id FROM Account"}, false},
		{[]string{"--", "-weird"}, queryOptions{dir: ".sfsync/localorg", soql: "-weird"}, false},
		{nil, queryOptions{}, true},
		{[]string{" "}, queryOptions{}, true},
		{[]string{"a", "b"}, queryOptions{}, true},
	} {
		got, err := parseQuery(tt.args)
		if (err != nil) != tt.err || !tt.err && got != tt.want {
			t.Errorf("parseQuery(%q) = %+v, %v", tt.args, got, err)
		}
	}
}

func TestParseSchemaAdd(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want schemaAddOptions
		err  bool
	}{
		{[]string{"w.json"}, schemaAddOptions{dir: ".sfsync/localorg", file: "w.json"}, false},
		{[]string{"-dir", "d", "w.json"}, schemaAddOptions{dir: "d", dirGiven: true, file: "w.json"}, false},
		{nil, schemaAddOptions{}, true},
	} {
		got, err := parseSchemaAdd(tt.args)
		if (err != nil) != tt.err || !tt.err && !cmp.Equal(got, tt.want, cmp.AllowUnexported(schemaAddOptions{})) {
			t.Errorf("parseSchemaAdd(%q) = %+v, %v", tt.args, got, err)
		}
	}
}
