package localorg

import "fmt"

// JobKind is what a Bulk job does. The zero value is invalid.
type JobKind int

const (
	_ JobKind = iota
	// KindIngest writes records (insert, update, upsert, delete, hardDelete).
	KindIngest
	// KindQuery reads records (query, queryAll).
	KindQuery
)

func (k JobKind) String() string {
	switch k {
	case KindIngest:
		return "ingest"
	case KindQuery:
		return "query"
	}
	return fmt.Sprintf("JobKind(%d)", int(k))
}
