package payloadcodec_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
)

const (
	uiOrigin = "http://127.0.0.1:8233"
	secret   = "CAPABILITYSECRETXXXXXXXXXX"
)

// A codec server with real tokens: /decode needs payloads:decode, the
// UI's capability path needs the secret and the UI's origin, and the UI's
// preflight is answered for its origin only.
func TestCodecServerAdmitsOnlyTokensAndTheUI(t *testing.T) {
	pub, priv, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	guard, err := auth.NewGuard(auth.Config{Keys: auth.NewKeySet(pub)}, payloadcodec.Audience)
	if err != nil {
		t.Fatal(err)
	}
	codec := newCodec(t, newKey(t))
	srv := httptest.NewServer(payloadcodec.Handler(payloadcodec.ServerConfig{
		Codec: codec, Guard: guard, UIOrigins: []string{uiOrigin}, UISecret: secret,
	}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	mint := func(scope string) string {
		tok, err := auth.NewIssuer(priv, "").Mint(auth.Grant{Subject: "ops", Audience: []string{payloadcodec.Audience}, Scopes: []string{scope}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{encode(t, codec, secretInput)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		headers            map[string]string
		want               int
		wantAllowOrigin    string
	}{
		{"decode_without_token", "POST", "/decode", nil, http.StatusUnauthorized, ""},
		{"decode_with_encode_scope", "POST", "/decode", map[string]string{"Authorization": mint(payloadcodec.ScopeEncode)}, http.StatusForbidden, ""},
		{"decode_with_decode_scope", "POST", "/decode", map[string]string{"Authorization": mint(payloadcodec.ScopeDecode)}, http.StatusOK, ""},
		{"encode_with_decode_scope", "POST", "/encode", map[string]string{"Authorization": mint(payloadcodec.ScopeDecode)}, http.StatusForbidden, ""},
		{"ui_decode_from_ui", "POST", "/ui/" + secret + "/decode", map[string]string{"Origin": uiOrigin}, http.StatusOK, uiOrigin},
		{"ui_decode_other_origin", "POST", "/ui/" + secret + "/decode", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, ""},
		{"ui_decode_no_origin", "POST", "/ui/" + secret + "/decode", nil, http.StatusForbidden, ""},
		{"ui_decode_wrong_secret", "POST", "/ui/" + strings.ToLower(secret) + "/decode", map[string]string{"Origin": uiOrigin}, http.StatusNotFound, uiOrigin},
		{"ui_encode", "POST", "/ui/" + secret + "/encode", map[string]string{"Origin": uiOrigin}, http.StatusNotFound, uiOrigin},
		{"preflight_from_ui", "OPTIONS", "/ui/" + secret + "/decode", map[string]string{"Origin": uiOrigin, "Access-Control-Request-Method": "POST"}, http.StatusNoContent, uiOrigin},
		{"preflight_other_origin", "OPTIONS", "/decode", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, got, tt.want)
			}
			if ao := resp.Header.Get("Access-Control-Allow-Origin"); ao != tt.wantAllowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", ao, tt.wantAllowOrigin)
			}
			if resp.StatusCode == http.StatusOK {
				var ps commonpb.Payloads
				if err := protojson.Unmarshal(got, &ps); err != nil || len(ps.Payloads) != 1 ||
					!bytes.Contains(ps.Payloads[0].GetData(), []byte(secretInput.CustomerID)) {
					t.Errorf("decode answered %s (%v), not the saga input in clear", got, err)
				}
			}
		})
	}
}
