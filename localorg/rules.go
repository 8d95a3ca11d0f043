package localorg

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// rules applies what particular standard objects do on insert and update,
// beyond what their describe says: person names (Contact, Lead, User)
// computed from their parts, and the price book rules of PricebookEntry.
// cur is the stored record on update (nil on insert).
func (w *dmlWriter) rules(obj *schema.Object, op dmlOp, vals, cur map[string]any) (*rowError, error) {
	get := func(name string) any {
		if v, ok := vals[name]; ok {
			return v
		}
		return cur[name]
	}
	if nf := obj.Field("Name"); nf != nil && !nf.Createable && obj.Field("LastName") != nil {
		_, fn := vals["FirstName"]
		_, ln := vals["LastName"]
		if op == opInsert || fn || ln {
			var parts []string
			for _, n := range []string{"FirstName", "LastName"} {
				if s, _ := get(n).(string); s != "" {
					parts = append(parts, s)
				}
			}
			if len(parts) > 0 {
				vals["Name"] = strings.Join(parts, " ")
			} else {
				vals["Name"] = nil
			}
		}
	}
	if obj.Name == "PricebookEntry" && op == opInsert {
		return w.pricebookEntryRules(obj, vals)
	}
	return nil, nil
}

// pricebookEntryRules: a product needs an entry in the standard price book
// before it can have one in another price book (STANDARD_PRICE_NOT_DEFINED),
// and a price book lists a product once.
func (w *dmlWriter) pricebookEntryRules(obj *schema.Object, vals map[string]any) (*rowError, error) {
	pb, _ := vals["Pricebook2Id"].(string)
	prod, _ := vals["Product2Id"].(string)
	if pb == "" || prod == "" {
		return nil, nil // REQUIRED_FIELD_MISSING is reported next
	}
	pbObj, prodObj := w.o.object("Pricebook2"), w.o.object("Product2")
	if pbObj == nil || prodObj == nil {
		return nil, nil
	}
	var standard int64
	err := w.queryRow(`SELECT IsStandard FROM Pricebook2 WHERE Id = ?`, pb).Scan(&standard)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // the reference check reports it
	}
	if err != nil {
		return nil, err
	}
	var n int
	if err := w.queryRow(`SELECT count(*) FROM PricebookEntry WHERE Pricebook2Id = ? AND Product2Id = ? AND IsDeleted = 0`, pb, prod).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return rowErr("DUPLICATE_VALUE", "This price definition already exists in this price book"), nil
	}
	var stdPrice sql.NullFloat64
	if standard == 0 {
		err := w.queryRow(`SELECT e.UnitPrice FROM PricebookEntry e JOIN Pricebook2 p ON p.Id = e.Pricebook2Id
			WHERE p.IsStandard = 1 AND e.Product2Id = ? AND e.IsDeleted = 0 LIMIT 1`, prod).Scan(&stdPrice)
		if errors.Is(err, sql.ErrNoRows) {
			return rowErr("STANDARD_PRICE_NOT_DEFINED", "No standard price defined for this product"), nil
		}
		if err != nil {
			return nil, err
		}
		if b, _ := vals["UseStandardPrice"].(int64); b == 1 && stdPrice.Valid {
			vals["UnitPrice"] = stdPrice.Float64
		}
	}
	// Name and ProductCode come from the product.
	var name, code sql.NullString
	q := `SELECT Name, ` + nullIfMissing(prodObj, "ProductCode") + ` FROM Product2 WHERE Id = ?`
	if err := w.queryRow(q, prod).Scan(&name, &code); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	for field, v := range map[string]sql.NullString{"Name": name, "ProductCode": code} {
		if f := obj.Field(field); f != nil && !f.Createable && v.Valid {
			vals[field] = v.String
		}
	}
	return nil, nil
}

func nullIfMissing(obj *schema.Object, field string) string {
	if obj.Field(field) == nil {
		return "NULL"
	}
	return quoteIdent(field)
}

// deleteRules refuses deletes Salesforce refuses: the standard price book.
func (w *dmlWriter) deleteRules(obj *schema.Object, id string) (*rowError, error) {
	if obj.Name == "Pricebook2" {
		var standard int64
		err := w.queryRow(`SELECT IsStandard FROM Pricebook2 WHERE Id = ?`, id).Scan(&standard)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if standard == 1 {
			return rowErr("DELETE_FAILED", "You can't delete the standard price book."), nil
		}
	}
	return nil, nil
}
