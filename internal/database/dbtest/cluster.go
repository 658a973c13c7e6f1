package dbtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	// Registers the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// installHint is how a machine without the server binaries gets them;
// scripts/test.sh does it on CI.
const installHint = "apt-get install -y postgresql"

// debianRoot holds a bin directory per installed PostgreSQL version.
const debianRoot = "/usr/lib/postgresql"

// Cluster is a throwaway PostgreSQL server: initdb into a temporary
// directory, postgres listening on 127.0.0.1 at a port the kernel reported
// free, with its socket in that directory too, so test processes running in
// parallel never meet. It starts on the first NewDatabase; Stop stops it and
// removes the directory. The zero value is ready to use.
//
// postgres runs as a child of the test process rather than daemonised by
// pg_ctl, with a parent-death signal on Linux: a test binary that panics or
// hits -timeout takes its server down with it instead of leaving it running.
type Cluster struct {
	once  sync.Once
	err   error // why the cluster did not start; every later test fails with it
	dir   string
	port  int
	admin *sql.DB // the "postgres" database, for CREATE and DROP DATABASE
	srv   *server
}

// NewDatabase creates an empty database in the cluster, starting the
// cluster first if needed, and returns its postgres:// URL. The database is
// dropped when t ends. Without the PostgreSQL server binaries the test
// fails, saying how to install them: a backend silently skipped would look
// like a pass.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	c.once.Do(func() { c.err = c.start() })
	if c.err != nil {
		t.Fatalf("PostgreSQL test cluster: %v", c.err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	name := "st_" + hex.EncodeToString(b[:])
	if _, err := c.admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// FORCE: a pool the test left open must not keep the database.
		if _, err := c.admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return c.url(name)
}

func (c *Cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// Stop stops the server, if it was started, and removes its directory.
func (c *Cluster) Stop() error {
	var errs []error
	if c.admin != nil {
		errs = append(errs, c.admin.Close())
	}
	if c.srv != nil {
		errs = append(errs, c.srv.stop())
	}
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}

func (c *Cluster) start() error {
	bin, err := serverBinaries(debianRoot)
	if err != nil {
		return err
	}
	if c.dir, err = os.MkdirTemp("", "sagatrace-pg-"); err != nil {
		return err
	}
	cred, err := unprivileged(c.dir)
	if err != nil {
		return err
	}
	data := filepath.Join(c.dir, "data")
	// Trust authentication on 127.0.0.1 only; C locale, so text sorts as
	// bytes whatever the machine's locale; no fsync of a cluster that is
	// thrown away.
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir = c.dir
	initdb.SysProcAttr = procAttr(cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A port found free can be taken before postgres binds it; then try
	// another.
	for range 3 {
		if err = c.startServer(bin, data, cred); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

var errPortTaken = errors.New("port taken before postgres bound it")

func (c *Cluster) startServer(bin, data string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1",
		// Durability is worth nothing here: the cluster dies with the tests.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB")
	cmd.Dir, cmd.Stdout, cmd.Stderr = c.dir, logFile, logFile
	cmd.SysProcAttr = procAttr(cred)
	srv, err := startServer(cmd)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.port = port
	admin, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		_ = srv.stop()
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = admin.PingContext(ctx)
		cancel()
		if err == nil {
			c.srv, c.admin = srv, admin
			return nil
		}
		select {
		case <-srv.exited:
			_ = admin.Close()
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "already in use") {
				return errPortTaken
			}
			return fmt.Errorf("postgres exited at start-up:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = admin.Close()
			_ = srv.stop()
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not answer within 30s: %w\n%s", err, log)
		}
	}
}

// serverBinaries returns the bin directory of the newest PostgreSQL under
// root (Debian's layout: root/<version>/bin), or the one initdb is in on
// PATH.
func serverBinaries(root string) (string, error) {
	found, _ := filepath.Glob(filepath.Join(root, "*", "bin", "initdb"))
	if len(found) > 0 {
		// Newest version first: 16 before 15 before 9.6.
		slices.SortFunc(found, func(a, b string) int { return compareVersions(versionOf(b), versionOf(a)) })
		return filepath.Dir(found[0]), nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(initdb), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) in %s/*/bin or on PATH; install them with: %s", root, installHint)
}

// versionOf is the version directory of .../postgresql/<version>/bin/initdb.
func versionOf(initdb string) string { return filepath.Base(filepath.Dir(filepath.Dir(initdb))) }

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// unprivileged returns the credentials to run the server binaries with:
// none normally, the postgres OS user when the tests run as root (initdb
// and postgres refuse root), after giving it dir.
func unprivileged(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the server must run as the postgres OS user, which is missing (%s creates it): %w", installHint, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres: %w", err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// server is the running postgres process.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startServer starts cmd from a goroutine locked to its OS thread until
// the process is reaped: the parent-death signal follows the thread that
// forked, and Go ends a thread whose locked goroutine exits.
func startServer(cmd *exec.Cmd) (*server, error) {
	s := &server{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(s.exited)
	}()
	return s, <-started
}

// stop asks for a fast shutdown (SIGINT: clients are disconnected, nothing
// is waited for) and kills the server if it has not exited within 10s.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("postgres did not stop within 10s of SIGINT; killed")
	}
}
