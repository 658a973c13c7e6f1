package devstack

import (
	"fmt"
	"net"
)

// FreeUDPPort returns a UDP port on host that was free a moment ago. The
// port is released before it returns, so another process may take it
// before the caller binds it; the window is small enough for tests and
// `sagatrace dev`.
func FreeUDPPort(host string) (int, error) {
	conn, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("pick free udp port on %q: %w", host, err)
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).Port, nil
}

// FillTCPPorts replaces every zero among ports with a distinct free TCP
// port, for a part that must be told another's port before that one starts
// (the Temporal UI is told the codec server's).
func FillTCPPorts(host string, ports ...*int) error { return fillTCPPorts(host, ports...) }

// fillTCPPorts replaces every zero among ports with a distinct free TCP port.
func fillTCPPorts(host string, ports ...*int) error {
	var zero []*int
	for _, p := range ports {
		if *p == 0 {
			zero = append(zero, p)
		}
	}
	if len(zero) == 0 {
		return nil
	}
	free, err := freeTCPPorts(host, len(zero))
	if err != nil {
		return err
	}
	for i, p := range zero {
		*p = free[i]
	}
	return nil
}

// freeTCPPorts picks n free TCP ports. All listeners stay open until every
// port is chosen, so the kernel cannot hand out the same port twice.
func freeTCPPorts(host string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick free tcp port on %q: %w", host, err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
