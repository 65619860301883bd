package verifiers

// Shape says how well a secret's form matches a provider's credentials.
// It is each provider's offline answer to "could this be one of mine?",
// used to re-derive what a report (untrusted input) claims before any
// secret is sent: a secret goes only to a provider whose shape it has.
type Shape int

const (
	// ShapeNone: the secret cannot be this provider's credential.
	ShapeNone Shape = iota
	// ShapeWeak: the form is possible (a 40-character base64 string, 32
	// hex digits) but says nothing of the provider by itself.
	ShapeWeak
	// ShapeStrong: the form identifies the provider (a prefix such as
	// ghp_ or xoxb-, a checksum, a structure only it uses).
	ShapeStrong
)

func (s Shape) String() string {
	switch s {
	case ShapeStrong:
		return "strong"
	case ShapeWeak:
		return "weak"
	}
	return "none"
}

// Shaper is implemented by every verifier (the parity test holds it).
type Shaper interface {
	// Owns says whether secret has the form of this provider's
	// credentials (see Shape). It does no I/O.
	Owns(secret string) Shape
}

// ShapeOf is Owns for providers described by a strong and a weak
// pattern (either may be nil).
func ShapeOf(secret string, strong, weak *LazyRE) Shape {
	switch {
	case strong != nil && strong.MatchString(secret):
		return ShapeStrong
	case weak != nil && weak.MatchString(secret):
		return ShapeWeak
	}
	return ShapeNone
}

// Shape returns provider's answer for secret, and whether the provider
// has a verifier that can tell.
func (r *Registry) Shape(provider, secret string) (Shape, bool) {
	v, ok := r.Lookup(provider)
	if !ok {
		return ShapeNone, false
	}
	s, ok := v.(Shaper)
	if !ok {
		return ShapeNone, false
	}
	return s.Owns(secret), true
}

// StrongOwner returns a provider other than except whose shape strongly
// matches secret ("" when none): a secret that unmistakably belongs to one
// provider is never sent to another. Providers analysed offline (private
// keys, database URLs: no host) are not owners here: they send nothing.
func (r *Registry) StrongOwner(secret, except string) string {
	for _, p := range r.Providers() {
		if v, _ := r.Lookup(p); p == except || len(v.Hosts()) == 0 {
			continue
		}
		if s, ok := r.Shape(p, secret); ok && s == ShapeStrong {
			return p
		}
	}
	return ""
}
