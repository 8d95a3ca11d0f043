// Package schema is the schema of sfsync's local Salesforce org: which
// objects and fields the org has, what Salesforce's describe calls say about
// them, and how their values are read and written on the wire.
//
// It exists so that the local org answers like a real one without the
// engine knowing Salesforce's details. Clients we did not write (jsforce,
// the sf CLI, go-salesforce) read describes and rely on their exact shape;
// per-record errors must carry Salesforce's codes and messages; numbers
// must come back as Java prints them (9.12260031E8). All of that is decided
// here, once, from the recorded bodies in internal/conformance, and the
// engine (package localorg) and the SOQL compiler build on it. This package
// imports neither of them.
//
// It has four parts:
//
//   - The model: Object and Field with the describe properties the engine
//     works with (types, lengths, precision and scale, nillable, createable,
//     updateable, defaultedOnCreate, externalId, idLookup, unique,
//     caseSensitive, references and relationship names, picklists, …).
//     Lookups are case-insensitive, as in Salesforce: Schema.Object,
//     Object.Field, Object.Relationship, Object.ChildRelationship.
//     Properties a describe has that are not modelled are kept, so that
//     rendering stays faithful.
//   - Parsing and the schema: ParseDescribe reads describe-shaped JSON, a
//     real describe or a compact file in which missing properties take
//     Salesforce's defaults. Standard returns the built-in standard objects
//     (Account with a custom External_Id__c, Contact, Opportunity,
//     OpportunityLineItem, Lead, Case, Product2, Pricebook2, PricebookEntry,
//     User, RecordType, Organization, and minimal Profile, UserRole and
//     Group), generated from the recorded describes. Schema.AddCustom adds
//     custom objects and fields (`sfsync localorg schema add FILE`),
//     CustomJSON and Load persist those additions. Child relationships
//     (with the delete rule Salesforce applies: Contact.AccountId cascades,
//     Case.AccountId restricts) are computed across all objects.
//   - Rendering: RenderDescribe and RenderGlobal produce the bodies of
//     GET /sobjects/{Object}/describe and GET /sobjects for an API version,
//     key for key as Salesforce sends them.
//   - The value codec: Field.ParseText and Field.ParseJSON turn CSV, XML and
//     JSON values into the storage encoding (see codec.go) or a *ValueError
//     with Salesforce's code and message; Field.FormatText and
//     Field.AppendJSON write stored values as Bulk CSV/XML and REST JSON do.
//
// A compact file looks like this; everything but the names and types may be
// left out:
//
//	{
//	  "name": "Invoice__c",
//	  "label": "Invoice", "labelPlural": "Invoices",
//	  "fields": [
//	    {"name": "Account__c", "type": "reference", "referenceTo": ["Account"],
//	     "relationshipName": "Account__r", "relationshipOrder": 0},
//	    {"name": "Number__c", "type": "string", "length": 20,
//	     "externalId": true, "unique": true},
//	    {"name": "Total__c", "type": "currency", "precision": 16, "scale": 2},
//	    {"name": "Status__c", "type": "picklist", "restrictedPicklist": true,
//	     "picklistValues": [{"value": "Draft", "defaultValue": true}, {"value": "Sent"}]}
//	  ]
//	}
//
// (relationshipOrder makes Account__c a master-detail field: required, not
// reparentable, deleted with its Account.)
//
// Typical use by the engine:
//
//	s, err := schema.Load(savedCustomJSON) // or schema.Standard()
//	acct := s.Object("account")
//	f := acct.Field("AnnualRevenue")
//	v, err := f.ParseText("912260031") // float64(9.12260031e8), or a *ValueError
//	cell := f.FormatText(v)            // "9.12260031E8"
//	body, err := schema.RenderDescribe(acct, "60.0", schema.RenderOptions{InstanceURL: url})
package schema
