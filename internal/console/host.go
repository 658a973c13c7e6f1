package console

import (
	"net"
	"net/http"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// checkHost refuses (421 Misdirected Request) a request whose Host is not
// one the console was told it is reached by. A page on another site whose
// name was rebound to 127.0.0.1 (DNS rebinding) reaches a local console
// with its own name in Host, and is refused here, before the login.
func (s *Server) checkHost(next http.Handler) http.Handler {
	if len(s.cfg.AllowedHosts) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, s.cfg.AllowedHosts) {
			httpserver.WriteError(w, r, httpserver.Misdirected("host-not-allowed",
				"this console does not answer to Host "+r.Host+"; reach it by a name it is configured for (serve console --allowed-host)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether host (a Host header, name or name:port)
// matches an entry of allowed: name:port exactly, or a name alone, which
// allows it on any port. Names compare case-insensitively.
func hostAllowed(host string, allowed []string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.Trim(host, "[]"), ""
	}
	for _, a := range allowed {
		aName, aPort, err := net.SplitHostPort(a)
		if err != nil {
			aName, aPort = strings.Trim(a, "[]"), ""
		}
		if strings.EqualFold(name, aName) && (aPort == "" || aPort == port) {
			return true
		}
	}
	return false
}
