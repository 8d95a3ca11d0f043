package localorg

import (
	"errors"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// Values are parsed and formatted by the schema package's codec; these
// helpers adapt it to the engine's record errors and JSON writer.

// valueError turns a codec error into a record error; col is the CSV
// column of the value (-1 when it did not come from CSV).
func valueError(err error, col int) *rowError {
	var ve *schema.ValueError
	if !errors.As(err, &ve) {
		return rowErr("INVALID_FIELD", err.Error())
	}
	if col >= 0 {
		ve = ve.AtColumn(col)
	}
	var fields []string
	if ve.Field != "" {
		fields = []string{ve.Field}
	}
	return &rowError{Code: ve.Code, Msg: ve.Message, Fields: fields}
}

// unreadable reports whether a codec error is a value not of the field's
// type at all (REST fails the whole request for those).
func unreadable(err error) bool {
	var ve *schema.ValueError
	return errors.As(err, &ve) && ve.Unreadable
}

// formatCSV renders a stored value as Bulk CSV results and query files do.
func formatCSV(f *schema.Field, v any) string { return f.FormatText(v) }

// formatJSON renders a stored value as REST JSON does.
func formatJSON(f *schema.Field, v any) any {
	if v == nil {
		return nil
	}
	return jsonw.Raw(f.AppendJSON(nil, v))
}

// defaultValue is the value a new record gets when none is given: the
// describe's default, or a picklist's default value.
func defaultValue(f *schema.Field) any {
	if d := f.Default(); d != nil {
		return d
	}
	if f.Type == schema.TypePicklist || f.Type == schema.TypeMultiPicklist {
		for _, p := range f.PicklistValues {
			if p.DefaultValue && p.Active {
				return p.Value
			}
		}
	}
	return nil
}
