// Package aws is nhiscan's AWS provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Provider verifies access key pairs with STS GetCallerIdentity, signed with
// SigV4 (aws-sdk-go-v2's signer). The call needs no permission and cannot
// be denied, so 200 means the pair works (AWS STS API reference
// "GetCallerIdentity", read 2026-12). Key ids whose account (decoded from
// the id itself, offline) is a known canary (honeytoken) account are
// flagged "canary" and never called: calling them would alert their owner
// and tell nothing.
//
// Partitions: an access key belongs to one AWS partition, and another
// partition's STS answers InvalidClientTokenId for it ("does not exist in
// our records"). The commercial partition (sts.amazonaws.com, us-east-1),
// GovCloud (sts.us-gov-west-1.amazonaws.com) and China
// (sts.cn-north-1.amazonaws.com.cn) are tried, the partition the context
// names (a us-gov-/cn- region or endpoint) first; a key is dead only when
// every partition says InvalidClientTokenId (or ExpiredToken), so a
// GovCloud or China key is never called dead by the commercial endpoint.
//
// Unknown by design: SignatureDoesNotMatch (the secret found is not the key
// id's), an ASIA key without its session token, Bedrock API keys, canary
// accounts.
type Provider struct {
	// Canaries are extra canary account ids (operator config).
	Canaries []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "aws" }
func (*Provider) Hosts() []string {
	hs := make([]string, len(awsPartitions))
	for i, p := range awsPartitions {
		hs[i] = p.host
	}
	return hs
}

// awsPartition is one partition's STS endpoint and signing region.
type awsPartition struct{ name, host, region string }

// awsPartitions are tried in this order unless the context names one.
var awsPartitions = []awsPartition{
	{"aws", "sts.amazonaws.com", "us-east-1"},
	{"aws-us-gov", "sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"},
	{"aws-cn", "sts.cn-north-1.amazonaws.com.cn", "cn-north-1"},
}

var (
	awsGovHint = verifiers.LazyRegexp(`\bus-gov-(?:west|east)-1\b|amazonaws-us-gov`)
	awsCNHint  = verifiers.LazyRegexp(`\bcn-(?:north|northwest)-1\b|amazonaws\.com\.cn\b`)
)

// awsPartitionHint names the partition the context points at ("" when none).
func awsPartitionHint(text string) string {
	switch {
	case awsGovHint.MatchString(text):
		return "aws-us-gov"
	case awsCNHint.MatchString(text):
		return "aws-cn"
	}
	return ""
}

// canaryAWSAccounts are accounts known to issue honeytoken keys: Thinkst's
// canarytokens.org and look-alike services (public lists).
var canaryAWSAccounts = []string{
	"052310077262", "171436882533", "534261010715", "595918472158", "717712589309",
	"819147034852", "992382622183", "730335385048", "266735846894", "893192397702",
	"044858866125", "251535659677", "344043088457", "351906852752", "390477818340",
	"426127672474", "427150556519", "439872796651", "445142720921", "465867158099",
	"637958123769", "693412236332", "732624840810", "735421457923", "959235150393",
	"982842642351",
}

var (
	awsKeyID       = verifiers.LazyRegexp(`\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`)
	awsKeyIDExact  = verifiers.LazyRegexp(`^(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$`)
	awsSecretNamed = verifiers.Labelled(`secret`, `[A-Za-z0-9/+]{40}`)
	awsSecretAny   = verifiers.LazyRegexp(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)
	awsSession     = verifiers.Labelled(`session_?token|security_?token`, `[A-Za-z0-9/+=]{100,1000}`)
)

// Pair finds the other half of an AWS key pair beside s: the secret
// access key when s is a key id, the key id when s is a secret; a session
// token too for ASIA (temporary) key ids.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	var id, secret string
	if strings.HasPrefix(s.Secret, "ABSK") || strings.HasPrefix(s.Secret, "bedrock-api-key-") {
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "bedrock")}
	}
	if s.RuleID == "aws-session-token" {
		// The session token is the third part of an ASIA key: pair it with
		// the key id and secret beside it, and check those.
		id = verifiers.Nearest(s.Context, s.Secret, awsKeyID)
		if id == "" {
			id = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool { return sb.Provider == "aws" && awsKeyIDExact.MatchString(sb.Secret) })
		}
		secret = verifiers.Nearest(s.Context, s.Secret, awsSecretNamed)
		if secret == "" {
			secret = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool { return awsSecretRules[sb.RuleID] })
		}
		return verifiers.Credential{Secret: secret, Companions: verifiers.Companions("key_id", id), SecretCompanions: verifiers.Companions("session_token", s.Secret)}
	}
	if awsKeyIDExact.MatchString(s.Secret) {
		id = s.Secret
		secret = verifiers.Nearest(s.Context, s.Secret, awsSecretNamed)
		if secret == "" {
			// Unlabelled: only a value that looks like a secret key, not a
			// commit id or a hash (40 hex characters).
			secret = verifiers.Nearest(s.Context, s.Secret, awsSecretAny, awsHexLike(s.Context)...)
		}
		if secret == "" {
			secret = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool { return awsSecretRules[sb.RuleID] })
		}
	} else {
		secret = s.Secret
		id = verifiers.Nearest(s.Context, s.Secret, awsKeyID)
		if id == "" {
			id = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool { return sb.Provider == "aws" && awsKeyIDExact.MatchString(sb.Secret) })
		}
	}
	cred := verifiers.Credential{Secret: secret, Companions: verifiers.Companions("key_id", id, "partition", awsPartitionHint(s.Context))}
	if strings.HasPrefix(id, "ASIA") {
		tok := verifiers.Nearest(s.Context, s.Secret, awsSession)
		if tok == "" {
			tok = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool { return sb.RuleID == "aws-session-token" })
		}
		cred.SecretCompanions = verifiers.Companions("session_token", tok)
	}
	return cred
}

// awsSecretRules are the rules whose secret is an AWS secret access key.
var awsSecretRules = map[string]bool{"aws-secret-access-key": true, "s3cfg-secret-key": true}

var hex40 = verifiers.LazyRegexp(`(?:^|[^A-Za-z0-9/+])([0-9a-f]{40}|[0-9A-F]{40})(?:[^A-Za-z0-9/+=]|$)`)

// awsHexLike lists the 40-character hex values of text (commit ids,
// SHA-1 sums), which are never taken for a secret key.
func awsHexLike(text string) []string {
	var out []string
	for _, m := range hex40.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// AccountFromKeyID decodes the account id that access key ids of the
// current format carry (base32 of the 16 characters after the prefix:
// bits 1..40 of the first six bytes). It returns "" for ids it cannot
// decode, e.g. the older AKIAI… / AKIAJ… ones.
func AccountFromKeyID(id string) string {
	if !awsKeyIDExact.MatchString(id) || id[4] == 'I' || id[4] == 'J' {
		return ""
	}
	b, err := base32.StdEncoding.DecodeString(id[4:])
	if err != nil || len(b) < 6 {
		return ""
	}
	var w [8]byte
	copy(w[2:], b[:6])
	z := binary.BigEndian.Uint64(w[:])
	return fmt.Sprintf("%012d", (z&0x7fffffffff80)>>7)
}

func (v *Provider) canary(account string) bool {
	return account != "" && (slices.Contains(canaryAWSAccounts, account) || slices.Contains(v.Canaries, account))
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	id := cred.Companions["key_id"]
	if cred.Companions["kind"] == "bedrock" {
		return verifiers.UnknownResult("aws: Bedrock API keys are not verified"), nil
	}
	account := AccountFromKeyID(id)
	ident := verifiers.Companions("account", account)
	if v.canary(account) {
		return verifiers.Result{Status: verifiers.Unknown, Reason: "aws: canary (honeytoken) account " + account + ": not called",
			Identity: ident, Privileges: verifiers.Privileges{Level: "unknown", Flags: []string{"canary"}}}, nil
	}
	switch {
	case id == "":
		return verifiers.UnknownResult("aws: no access key id beside the secret"), nil
	case cred.Secret == "":
		r := verifiers.UnknownResult("aws: no secret access key beside the key id")
		r.Identity = ident
		return r, nil
	case strings.HasPrefix(id, "ASIA") && cred.SecretCompanions["session_token"] == "":
		r := verifiers.UnknownResult("aws: temporary (ASIA) key without its session token")
		r.Identity = ident
		return r, nil
	}
	parts := slices.Clone(awsPartitions)
	if hint := cred.Companions["partition"]; hint != "" {
		slices.SortStableFunc(parts, func(a, b awsPartition) int {
			switch {
			case a.name == hint && b.name != hint:
				return -1
			case b.name == hint && a.name != hint:
				return 1
			}
			return 0
		})
	}
	var last verifiers.Result
	for _, p := range parts {
		r, invalid, err := v.verifyAt(ctx, c, cred, id, p)
		if err != nil || !invalid {
			if r.Status == verifiers.Live {
				r.Identity["partition"] = p.name
			}
			return r, err
		}
		last = r
	}
	last.Reason += " in every partition (aws, aws-us-gov, aws-cn)"
	return last, nil
}

// verifyAt asks one partition's STS; invalid is its documented answer for
// a key that partition does not know.
func (v *Provider) verifyAt(ctx context.Context, c *verifiers.Client, cred verifiers.Credential, id string, p awsPartition) (verifiers.Result, bool, error) {
	u := "https://" + p.host + "/?Action=GetCallerIdentity&Version=2011-06-15"
	req, err := c.NewRequest(ctx, v, "GET", u, nil)
	if err != nil {
		return verifiers.Result{}, false, err
	}
	ep := verifiers.Endpoint(req)
	req.Header.Set("Accept", "application/json")
	empty := sha256.Sum256(nil)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: cred.Secret, SessionToken: cred.SecretCompanions["session_token"]}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "sts", p.region, time.Now().UTC()); err != nil {
		return verifiers.Result{Endpoint: ep}, false, fmt.Errorf("%s: signing failed", ep)
	}
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, false, err
	}
	switch resp.StatusCode {
	case 200:
		who, err := parseCallerIdentity(resp.Body)
		if err != nil || who.Arn == "" {
			return verifiers.Result{Endpoint: ep}, false, fmt.Errorf("%s: HTTP 200 without a caller identity", ep)
		}
		pr := verifiers.Privileges{Level: "unknown"}
		if strings.HasSuffix(who.Arn, ":root") {
			pr.Level = "admin"
			pr.Flags = append(pr.Flags, "root-account")
		}
		if v.canary(who.Account) {
			pr.Flags = append(pr.Flags, "canary")
		}
		return verifiers.LiveResult(ep, map[string]string{"account": who.Account, "arn": who.Arn, "user_id": who.UserID}, pr), false, nil
	case 400, 403:
		switch code := awsErrorCode(resp.Body); code {
		case "InvalidClientTokenId":
			return verifiers.DeadResult(ep, "aws: InvalidClientTokenId (no such active key id)"), true, nil
		case "SignatureDoesNotMatch":
			// The key id exists; the secret found beside it is not its
			// secret. Which one is wrong (or whether they were paired by
			// mistake) STS does not say: no verdict on either.
			return verifiers.Result{Status: verifiers.Unknown, Reason: "aws: SignatureDoesNotMatch: the secret found does not belong to the key id", Endpoint: ep}, false, nil
		case "ExpiredToken":
			return verifiers.DeadResult(ep, "aws: ExpiredToken"), true, nil
		case "":
		default:
			return verifiers.Result{Endpoint: ep}, false, fmt.Errorf("%s: HTTP %d %s", ep, resp.StatusCode, code)
		}
	}
	return verifiers.Result{Endpoint: ep}, false, verifiers.Unexpected(resp, ep)
}

type callerIdentity struct{ Account, Arn, UserID string }

// parseCallerIdentity reads STS's JSON answer (asked for with Accept) or
// its default XML one.
func parseCallerIdentity(body []byte) (callerIdentity, error) {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '<' {
		var x struct {
			Result struct {
				Account string `xml:"Account"`
				Arn     string `xml:"Arn"`
				UserID  string `xml:"UserId"`
			} `xml:"GetCallerIdentityResult"`
		}
		err := xml.Unmarshal(b, &x)
		return callerIdentity{x.Result.Account, x.Result.Arn, x.Result.UserID}, err
	}
	var j struct {
		R struct {
			Result struct {
				Account string `json:"Account"`
				Arn     string `json:"Arn"`
				UserID  string `json:"UserId"`
			} `json:"GetCallerIdentityResult"`
		} `json:"GetCallerIdentityResponse"`
	}
	err := json.Unmarshal(body, &j)
	return callerIdentity{j.R.Result.Account, j.R.Result.Arn, j.R.Result.UserID}, err
}

// awsErrorCode reads Error.Code of an STS error in JSON or XML ("" if none).
func awsErrorCode(body []byte) string {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '<' {
		var x struct {
			Code string `xml:"Error>Code"`
		}
		_ = xml.Unmarshal(b, &x)
		return x.Code
	}
	var j struct {
		Error struct {
			Code string `json:"Code"`
		} `json:"Error"`
	}
	_ = json.Unmarshal(body, &j)
	return j.Error.Code
}

// awsShapes are the forms of AWS credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var awsShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}|ABSK[A-Za-z0-9+/=]{40,400}|bedrock-api-key-[A-Za-z0-9+/=._-]{20,1000})$`), verifiers.LazyRegexp(`^(?:[A-Za-z0-9/+]{40}|[A-Za-z0-9/+=]{100,1000})$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, awsShapes[0], awsShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator. Deactivation, rotation and
// the IAM re-check live in package remediate (remediate.AWSRegistration)
// beside the AWS SDK clients the remediation Env carries.
func (*Provider) Remediation() *remediate.Registration { return remediate.AWSRegistration() }
