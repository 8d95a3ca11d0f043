// Package schema is the schema of sfsync's local Salesforce org.
package schema
