package localorg

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// soapLogin serves the SOAP partner (/services/Soap/u/{ver}) and
// enterprise (/services/Soap/c/{ver}) login() call. Only login is served;
// SOAP data calls are not part of what the org emulates.
func (o *Org) soapLogin(c *call) {
	v, err := strconv.ParseFloat(c.ver, 64)
	if err != nil || v < MinAPIVersion || v > float64(o.opts.MaxAPIVersion) || v != float64(int(v)) {
		c.soapFault(http.StatusInternalServerError, "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
		return
	}
	if int(v) > soapLoginMaxVersion {
		// UNCERTAIN: the exact fault for login() at 65.0 and later; the
		// reference only says the call is not available there.
		c.soapFault(http.StatusInternalServerError, "UNSUPPORTED_API_VERSION",
			fmt.Sprintf("login() is not supported in API version %s and later; use OAuth 2.0", c.ver))
		return
	}
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	username, password, ok := parseSOAPLogin(body)
	if !ok {
		c.soapFault(http.StatusInternalServerError, "soapenv:Client", "Unable to parse the login request")
		return
	}
	m := o.metaCopy()
	if !checkPassword(m, username, password) {
		c.soapFault(http.StatusInternalServerError, "INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
		return
	}
	tok, _, err := o.newSession(c.r.Context(), m.AdminUserID)
	if err != nil {
		c.fail(err)
		return
	}
	org15 := m.OrgID[:15]
	ns := "urn:partner.soap.sforce.com"
	kind := "u"
	if c.segs[2] == "c" {
		ns, kind = "urn:enterprise.soap.sforce.com", "c"
	}
	var b strings.Builder
	e := html.EscapeString
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="` + ns + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>`)
	b.WriteString("<metadataServerUrl>" + e(c.base) + "/services/Soap/m/" + c.ver + "/" + org15 + "</metadataServerUrl>")
	b.WriteString("<passwordExpired>false</passwordExpired><sandbox>false</sandbox>")
	b.WriteString("<serverUrl>" + e(c.base) + "/services/Soap/" + kind + "/" + c.ver + "/" + org15 + "</serverUrl>")
	b.WriteString("<sessionId>" + e(tok) + "</sessionId>")
	b.WriteString("<userId>" + m.AdminUserID + "</userId>")
	b.WriteString("<userInfo><accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal><currencySymbol>$</currencySymbol>" +
		"<orgAttachmentFileSizeLimit>26214400</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>" +
		"<orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>" +
		"<orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>" + m.OrgID + "</organizationId>" +
		"<organizationMultiCurrency>false</organizationMultiCurrency><organizationName>" + e(m.OrgName) + "</organizationName>" +
		"<profileId>" + o.adminProfileID() + "</profileId><roleId xsi:nil=\"true\"/>" +
		"<sessionSecondsValid>" + strconv.Itoa(int(o.opts.SessionTTL.Seconds())) + "</sessionSecondsValid>" +
		"<userDefaultCurrencyIsoCode xsi:nil=\"true\"/><userEmail>" + e(m.Username) + "</userEmail>" +
		"<userFullName>" + adminFullName + "</userFullName><userId>" + m.AdminUserID + "</userId>" +
		"<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>" + e(m.Username) + "</userName>" +
		"<userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo>")
	b.WriteString("</result></loginResponse></soapenv:Body></soapenv:Envelope>")
	c.w.Header().Set("Content-Type", ctSOAP)
	c.w.WriteHeader(http.StatusOK)
	c.w.Write([]byte(b.String()))
}

// parseSOAPLogin finds the username and password of a login call, whatever
// the namespace prefixes and headers around it.
func parseSOAPLogin(body []byte) (username, password string, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	inLogin := false
	var field string
	var sb strings.Builder
	for {
		t, err := d.Token()
		if err != nil {
			return username, password, inLogin && username != ""
		}
		switch x := t.(type) {
		case xml.StartElement:
			switch {
			case x.Name.Local == "login" && strings.HasSuffix(x.Name.Space, ".soap.sforce.com"):
				inLogin = true
			case inLogin && (x.Name.Local == "username" || x.Name.Local == "password"):
				field = x.Name.Local
				sb.Reset()
			}
		case xml.CharData:
			if field != "" {
				sb.Write(x)
			}
		case xml.EndElement:
			if field != "" && x.Name.Local == field {
				if field == "username" {
					username = strings.TrimSpace(sb.String())
				} else {
					password = sb.String()
				}
				field = ""
			}
			if x.Name.Local == "login" && inLogin {
				return username, password, username != ""
			}
		}
	}
}

// soapFault answers a SOAP fault in the recorded layout (one line, sf:
// fault namespace, faultcode prefixed "sf:" for Salesforce codes).
func (c *call) soapFault(status int, code, msg string) {
	faultcode := code
	if !strings.Contains(code, ":") {
		faultcode = "sf:" + code
	}
	detail := ""
	if !strings.Contains(code, ":") {
		kind := "UnexpectedErrorFault"
		if code == "INVALID_LOGIN" {
			kind = "LoginFault"
		}
		detail = `<detail><sf:` + kind + ` xsi:type="sf:` + kind + `"><sf:exceptionCode>` + code + `</sf:exceptionCode><sf:exceptionMessage>` +
			html.EscapeString(msg) + `</sf:exceptionMessage></sf:` + kind + `></detail>`
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>` +
		faultcode + `</faultcode><faultstring>` + html.EscapeString(strings.TrimPrefix(code, "soapenv:")+": "+msg) + `</faultstring>` + detail +
		`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	c.w.Header().Set("Content-Type", ctSOAP)
	c.w.WriteHeader(status)
	c.w.Write([]byte(body))
}
