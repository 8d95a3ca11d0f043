package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sfsync/sfsync/localorg/internal/schema"
)

func ExampleStandard() {
	s := schema.Standard()
	acct := s.Object("account") // case-insensitive, as in Salesforce
	fmt.Println(acct.Name, acct.KeyPrefix, acct.Field("external_id__c").ExternalID)
	fmt.Println(s.Object("Contact").Relationship("account").Name)
	fmt.Println(acct.ChildRelationship("Contacts").CascadeDelete, acct.ChildRelationship("Cases").RestrictedDelete)
	// Output:
	// Account 001 true
	// AccountId
	// true true
}

func ExampleSchema_AddCustom() {
	s := schema.Standard()
	changes, err := s.AddCustom([]byte(`{
		"name": "Invoice__c", "label": "Invoice", "labelPlural": "Invoices",
		"fields": [{"name": "Account__c", "type": "reference", "referenceTo": ["Account"],
		            "relationshipName": "Account__r", "relationshipOrder": 0}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := changes[0].Object
	fmt.Println(inv.KeyPrefix, len(changes[0].Fields), inv.Field("Name").Label, inv.Field("OwnerId") == nil)
	fmt.Println(s.Object("Account").ChildRelationship("Invoices__r").CascadeDelete)
	// Output:
	// a00 11 Invoice Name true
	// true
}

func ExampleField_ParseText() {
	opp := schema.Standard().Object("Opportunity")
	amount := opp.Field("Amount")
	v, _ := amount.ParseText("912260031.456")
	fmt.Println(v, amount.FormatText(v), string(amount.AppendJSON(nil, v)))

	_, err := opp.Field("CloseDate").ParseText("2003-04-98")
	var ve *schema.ValueError
	if errors.As(err, &ve) {
		fmt.Println(ve.AtColumn(3))
	}
	// Output:
	// 9.1226003146e+08 9.1226003146E8 9.1226003146E8
	// INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2003-04-98' is not a valid value for the type xsd:date:CloseDate --
}

func ExampleRenderDescribe() {
	s := schema.Standard()
	body, err := schema.RenderDescribe(s.Object("Account"), "60.0", schema.RenderOptions{InstanceURL: "http://127.0.0.1:8765"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var d struct {
		KeyPrefix string
		Fields    []struct{ Name, SoapType string }
		URLs      map[string]string
	}
	json.Unmarshal(body, &d)
	fmt.Println(d.KeyPrefix, d.Fields[0].Name, d.Fields[0].SoapType, d.URLs["describe"])
	// Output:
	// 001 Id tns:ID /services/data/v60.0/sobjects/Account/describe
}
