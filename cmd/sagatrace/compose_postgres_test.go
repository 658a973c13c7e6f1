package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

// compose's PostgreSQL init script, run by a real server's psql as the
// postgres image runs it: each service owns its database and cannot
// connect to another's; temporal may create its own databases.
func TestComposePostgresInitScriptSeparatesTheDatabases(t *testing.T) {
	var cluster dbtest.Cluster
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	admin, err := url.Parse(cluster.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "../../deploy/postgres/initdb/10-roles.sh")
	cmd.Env = append(os.Environ(), "POSTGRES_USER=postgres", "PGHOST="+admin.Hostname(), "PGPORT="+admin.Port())
	cmd.Env = append(cmd.Env, composeTestEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("10-roles.sh: %v\n%s", err, out)
	}
	as := func(role, db string) string {
		u := *admin
		u.User, u.Path = url.UserPassword(role, "test-"+role), "/"+db
		return u.String()
	}
	for _, svc := range []string{"payment", "order", "scoring"} {
		db, err := database.Open(ctx, as(svc, svc))
		if err != nil {
			t.Fatalf("%s cannot connect to its own database: %v", svc, err)
		}
		_, err = db.ExecContext(ctx, "CREATE TABLE t (id int)")
		db.Close()
		if err != nil {
			t.Errorf("%s cannot create a table in its own database: %v", svc, err)
		}
		for _, other := range []string{"payment", "order", "scoring"} {
			if other == svc {
				continue
			}
			// Refused at connect (CONNECT revoked from PUBLIC), not only
			// later at its schema.
			db, err := database.Open(ctx, as(svc, other))
			if err == nil {
				db.Close()
				t.Errorf("%s connected to %s's database", svc, other)
			} else if !strings.Contains(err.Error(), "permission denied for database") {
				t.Errorf("%s to %s's database: %v, want permission denied for database", svc, other, err)
			}
		}
	}
	db, err := database.Open(ctx, as("temporal", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE temporal_visibility"); err != nil {
		t.Errorf("temporal cannot create its databases: %v", err)
	}
}
