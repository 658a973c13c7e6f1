package database

import "strconv"

// PageQuery selects one page of a table in the order of its public id —
// a UUIDv7, so creation order — by keyset: the rows after Cursor, of one
// DTID when set. It asks for Limit+1 rows, so the caller learns whether
// another page follows without counting. Keyset rather than OFFSET: a page
// costs the same however deep, and rows inserted meanwhile shift nothing.
type PageQuery struct {
	Table   string // "payments"; Table, Columns and Key are constants, never input
	Columns string // the columns to select
	Key     string // the public id column the cursor is a value of, "payment_id"
	Cursor  string // the last Key of the previous page; "" for the first
	DTID    string // "" for every transaction
	Limit   int
}

// SQL returns the page's SELECT and its arguments. The SELECT can also be
// used as a subquery, e.g. to load the audit rows of exactly this page.
func (p PageQuery) SQL() (string, []any) {
	where, args := p.Key+` > $1`, []any{p.Cursor}
	if p.DTID != "" {
		where, args = where+` AND dtid = $2`, append(args, p.DTID)
	}
	args = append(args, p.Limit+1)
	return `SELECT ` + p.Columns + ` FROM ` + p.Table + ` WHERE ` + where +
		` ORDER BY ` + p.Key + ` LIMIT $` + strconv.Itoa(len(args)), args
}
