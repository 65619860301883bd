// Package privatekey is nhiscan's private key provider: the shape of its credentials,
// their parts, their verification (see package providers).
package privatekey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"nhiscan/verifiers"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Provider analyses private keys offline: type, size, SHA-256
// fingerprint of the public key (OpenSSH "SHA256:…" form, the one GitHub
// and GitLab show for registered keys) and whether the key is encrypted.
// It never logs in anywhere: the status is always Unknown, "offline
// analysis only".
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)

func (*Provider) Provider() string { return "privatekey" }

// Hosts is empty: this verifier makes no request.
func (*Provider) Hosts() []string { return nil }

func (*Provider) Verify(_ context.Context, _ *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	id := analyseKey(cred.Secret)
	return verifiers.Result{Status: verifiers.Unknown, Reason: verifiers.OfflineOnly, Identity: id, Privileges: verifiers.Privileges{Level: "unknown"}}, nil
}

// analyseKey describes the first PEM private key in text.
func analyseKey(text string) map[string]string {
	text = strings.ReplaceAll(text, `\n`, "\n")
	blk, _ := pem.Decode([]byte(text))
	if blk == nil {
		return map[string]string{"key_type": "unparsable"}
	}
	id := map[string]string{"pem_type": blk.Type, "encrypted": "false"}
	switch {
	case strings.Contains(blk.Type, "PGP"):
		id["key_type"] = "pgp"
		return id
	case blk.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(blk.Headers["Proc-Type"], "ENCRYPTED"):
		id["encrypted"] = "true"
		id["key_type"] = keyTypeFromPEM(blk.Type)
		return id
	}
	raw, err := ssh.ParseRawPrivateKey(pem.EncodeToMemory(blk))
	var pm *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pm):
		id["encrypted"] = "true"
		if pm.PublicKey != nil {
			id["key_type"] = pm.PublicKey.Type()
			id["fingerprint_sha256"] = ssh.FingerprintSHA256(pm.PublicKey)
		}
		return id
	case err != nil:
		id["key_type"] = keyTypeFromPEM(blk.Type)
		id["error"] = "unparsable key"
		return id
	}
	signer, ok := raw.(crypto.Signer)
	if !ok {
		if p, ok := raw.(*ed25519.PrivateKey); ok {
			signer = *p
		} else {
			id["key_type"] = "unknown"
			return id
		}
	}
	switch k := signer.Public().(type) {
	case *rsa.PublicKey:
		id["key_type"], id["bits"] = "rsa", strconv.Itoa(k.N.BitLen())
	case *ecdsa.PublicKey:
		id["key_type"], id["bits"] = "ecdsa", strconv.Itoa(k.Curve.Params().BitSize)
	case ed25519.PublicKey:
		id["key_type"], id["bits"] = "ed25519", "256"
	default:
		id["key_type"] = "other"
	}
	if pub, err := ssh.NewPublicKey(signer.Public()); err == nil {
		id["fingerprint_sha256"] = ssh.FingerprintSHA256(pub)
	}
	return id
}

func keyTypeFromPEM(t string) string {
	switch {
	case strings.HasPrefix(t, "RSA"):
		return "rsa"
	case strings.HasPrefix(t, "EC"):
		return "ecdsa"
	case strings.HasPrefix(t, "DSA"):
		return "dsa"
	case strings.HasPrefix(t, "OPENSSH"):
		return "openssh"
	}
	return "unknown"
}

// privatekeyShapes are the forms of PrivateKey credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var privatekeyShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`(?s)^(?:-----BEGIN [A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d).*`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, privatekeyShapes[0], privatekeyShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)
