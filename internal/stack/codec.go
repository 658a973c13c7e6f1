package stack

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/devstack"
)

// planCodecServer picks the codec server's port and the UI's before
// Temporal starts, since its UI is told where to decode, and makes the
// secret of the UI's capability URL: the dev server's UI has no login, so
// it cannot send a bearer token; a random path that only it is given
// stands in for one. It is made anew at each start and kept nowhere.
func (s *Stack) planCodecServer() error {
	ports := &s.cfg.Ports
	if err := devstack.FillTCPPorts(s.cfg.Host, &ports.Codec, &ports.TemporalUI); err != nil {
		return fmt.Errorf("codec server: %w", err)
	}
	s.codecUISecret = rand.Text()
	s.CodecUIEndpoint = fmt.Sprintf("http://%s/ui/%s", net.JoinHostPort(s.cfg.Host, strconv.Itoa(ports.Codec)), s.codecUISecret)
	return nil
}

// startCodecServer serves the codec server on the planned port: /decode
// and /encode for bearer tokens (audience codec), the capability URL for
// the Temporal UI's origin.
func (s *Stack) startCodecServer(ctx context.Context, common component.Common, serviceAuth component.ServiceAuth) error {
	r, err := component.StartCodec(ctx, component.CodecConfig{
		Common: common, Listen: net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Ports.Codec)), KeyFile: s.CodecKeyFile,
		Auth: serviceAuth, UIOrigins: uiOrigins(s.Temporal.UIURL()), UISecret: s.codecUISecret,
	})
	if err != nil {
		return err
	}
	s.Codec = r
	s.onStop(r.Stop)
	return nil
}

// uiOrigins are the origins a browser gives the UI at uiURL: as printed,
// and as localhost when it is on this machine's loopback address.
func uiOrigins(uiURL string) []string {
	origins := []string{uiURL}
	u, err := url.Parse(uiURL)
	if err != nil {
		return origins
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
		origins = append(origins, u.Scheme+"://"+net.JoinHostPort("localhost", u.Port()))
	}
	return origins
}
