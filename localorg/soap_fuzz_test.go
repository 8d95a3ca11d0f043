package localorg

import "testing"

// FuzzParseSOAPLogin checks that any request body is either read or
// refused, never a panic, and that a login call is read whatever the
// namespace prefixes.
func FuzzParseSOAPLogin(f *testing.F) {
	f.Add([]byte(`<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>u@x.com</username><password>p</password></login></se:Body></se:Envelope>`))
	f.Add([]byte(`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:n1="urn:partner.soap.sforce.com"><env:Body><n1:login><n1:username>a</n1:username><n1:password>b&amp;c</n1:password></n1:login></env:Body></env:Envelope>`))
	f.Add([]byte(`<not xml`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, p, ok := parseSOAPLogin(body)
		if ok && u == "" {
			t.Fatalf("ok without a username: %q %q", u, p)
		}
	})
}

func TestParseSOAPLogin(t *testing.T) {
	for _, tt := range []struct {
		body     string
		user, pw string
		ok       bool
	}{
		{`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:n1="urn:partner.soap.sforce.com"><env:Body><n1:login><n1:username> a@b.c </n1:username><n1:password>p&amp;q</n1:password></n1:login></env:Body></env:Envelope>`, "a@b.c", "p&q", true},
		{`<Envelope><Body><login xmlns="urn:enterprise.soap.sforce.com"><username>e</username><password>f</password></login></Body></Envelope>`, "e", "f", true},
		{`<Envelope><Body><login xmlns="urn:other"><username>e</username></login></Body></Envelope>`, "", "", false},
		{`<<<`, "", "", false},
	} {
		u, p, ok := parseSOAPLogin([]byte(tt.body))
		if u != tt.user || p != tt.pw || ok != tt.ok {
			t.Errorf("parseSOAPLogin(%q) = %q, %q, %v", tt.body, u, p, ok)
		}
	}
}
