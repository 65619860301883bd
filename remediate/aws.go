package remediate

import (
	"context"
	"errors"
	"fmt"
	"nhiscan/finding"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AWSRegistration is AWS access keys' remediation (providers/aws declares
// it): deactivate (iam:UpdateAccessKey Status=Inactive), first signed by
// the leaked key itself, else by the operator's admin profile; rotate
// (CreateAccessKey for the same user → destination → verify → old key
// Inactive); re-verify with sts:GetCallerIdentity. It stays in this
// package with the AWS SDK clients and AWSClients that Env carries.
func AWSRegistration() *Registration {
	return &Registration{
		Provider: "aws",
		Revoke:   awsRevoke{},
		Rotate:   awsRotate{},
		Check:    awsCheck{},
		Manual:   "IAM console → Users → Security credentials → make the access key Inactive, then delete it once nothing uses it (aws iam update-access-key --status Inactive)",
	}
}

const (
	iamHost = "iam.amazonaws.com"
	stsHost = "sts.amazonaws.com"
)

// AWSClients lets tests supply the operator's credentials and shorten the
// wait for a new key to propagate.
type AWSClients struct {
	// Admin replaces the admin profile's credentials (tests).
	Admin aws.CredentialsProvider
	// Propagation is how long a new key is given to become usable (default 15 s).
	Propagation time.Duration
}

func (e *Env) awsClients() *AWSClients {
	if e.AWS == nil {
		return &AWSClients{}
	}
	return e.AWS
}

func (c *AWSClients) admin(ctx context.Context, env *Env) (aws.Config, error) {
	if c.Admin != nil {
		return aws.Config{Region: "us-east-1", Credentials: c.Admin}, nil
	}
	prof := env.Config.AWS.AdminProfile
	if prof == "" {
		return aws.Config{}, blocked("aws: no admin profile configured ([providers.aws] admin_profile)")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(prof), config.WithRegion(orDefault(env.Config.AWS.Region, "us-east-1")))
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws admin profile %s: %w", prof, err)
	}
	return cfg, nil
}

func static(id, secret string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}
}

func iamClient(env *Env, cfg aws.Config) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.Region = "us-east-1"
		o.BaseEndpoint = aws.String("https://" + iamHost)
		o.HTTPClient = env.Client.HTTP("aws", []string{iamHost})
		o.RetryMaxAttempts = 2
	})
}

func stsClient(env *Env, cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Region = "us-east-1"
		o.BaseEndpoint = aws.String("https://" + stsHost)
		o.HTTPClient = env.Client.HTTP("aws", []string{stsHost})
		o.RetryMaxAttempts = 2
	})
}

var (
	awsKeyID     = regexp.MustCompile(`\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`)
	awsSecretKey = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)
)

// awsKey returns the access key id and, when found, its secret: the finding
// is either the key id (aws-access-token) or the secret key, with the other
// half looked up in the text around it.
func awsKey(f *finding.Finding) (id, secret string) {
	if kid := f.Parts["key_id"]; kid != "" && awsKeyID.MatchString(kid) && f.Secret != kid {
		return kid, f.Secret // assembled by the scanner: the credential is the pair
	}
	if m := awsKeyID.FindStringSubmatch(f.Secret); m != nil && len(f.Secret) == 20 {
		id = f.Secret
		for _, m := range awsSecretKey.FindAllStringSubmatch(f.Context, -1) {
			if !strings.Contains(m[1], id) {
				return id, m[1]
			}
		}
		return id, ""
	}
	if m := awsKeyID.FindStringSubmatch(f.Context); m != nil {
		return m[1], f.Secret
	}
	return "", f.Secret
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// awsErr wraps an SDK error once, with its code, never a secret.
func awsErr(op string, err error) error {
	code := awsCode(err)
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return fmt.Errorf("aws %s: %s: %w", op, code, ErrDenied)
	case "Throttling", "ThrottlingException", "TooManyRequestsException":
		return &RateLimitError{Endpoint: "aws " + op, RetryAfter: time.Minute}
	case "":
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			return fmt.Errorf("aws %s: %v", op, oe.Err)
		}
		return fmt.Errorf("aws %s: %v", op, err)
	}
	return fmt.Errorf("aws %s: %s", op, code)
}

func asiaBlocked(id string) error {
	if strings.HasPrefix(id, "ASIA") {
		return blocked("aws: %s… is a temporary STS session key: it cannot be deactivated. Attach a deny-all policy conditioned on aws:TokenIssueTime to the role (the console's \"Revoke active sessions\", AWSRevokeOlderSessions), or wait for it to expire (15 min to 36 h)", id[:8])
	}
	return nil
}

// idOnly is the blocked error of a key id found without its secret: an id
// proves nothing (it is not secret, and appears in logs and policies), so
// the operator's admin profile never deactivates or rotates a key on it.
func idOnly(id string) error {
	return blocked("aws: only the access key id %s is known, not its secret: nothing proves this key leaked, so the operator's admin profile will not touch it; check where the id comes from and deactivate the key by hand if it did leak", keyRef(id))
}

// awsPair returns the key id and secret of f, or why they cannot be acted on.
func awsPair(f *finding.Finding) (id, secret string, err error) {
	id, secret = awsKey(f)
	switch {
	case id == "":
		return "", "", blocked("aws: the access key id is not beside the secret: deactivate the key by hand")
	case asiaBlocked(id) != nil:
		return "", "", asiaBlocked(id)
	case secret == "":
		return "", "", idOnly(id)
	}
	return id, secret, nil
}

type awsRevoke struct{}

// OperatorCredential implements Action.
func (awsRevoke) OperatorCredential() string { return "AWS admin profile" }

func (awsRevoke) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	id, secret, err := awsPair(f)
	if err != nil {
		return nil, err
	}
	u := "https://" + iamHost + "/"
	var calls []Call
	if secret != "" && !env.Config.AWS.NoLeakedKey {
		calls = append(calls, Call{Method: "POST", URL: u + " Action=UpdateAccessKey AccessKeyId=" + keyRef(id) + " Status=Inactive", Auth: "the leaked key itself", Why: "a key may deactivate itself when its policy allows iam:UpdateAccessKey"})
	}
	if env.Config.AWS.AdminProfile != "" || env.awsClients().Admin != nil {
		why := "fallback when the key may not (e.g. AWSCompromisedKeyQuarantine denies it)"
		if len(calls) == 0 {
			why = "find the key's user, then deactivate it"
		}
		a := "operator admin profile " + env.Config.AWS.AdminProfile
		calls = append(calls,
			Call{Method: "POST", URL: u + " Action=GetAccessKeyLastUsed AccessKeyId=" + keyRef(id), Auth: a, Why: why},
			Call{Method: "POST", URL: u + " Action=UpdateAccessKey UserName={user} AccessKeyId=" + keyRef(id) + " Status=Inactive", Auth: a, Why: "deactivate (reversible)"})
	}
	if len(calls) == 0 {
		return nil, blocked("aws: the secret half of %s is not known and no admin profile is configured ([providers.aws] admin_profile)", keyRef(id))
	}
	return calls, nil
}

func (awsRevoke) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	id, secret, err := awsPair(f)
	if err != nil {
		return nil, err
	}
	var ev []string
	var selfErr error
	if secret != "" && !env.Config.AWS.NoLeakedKey {
		_, err := iamClient(env, static(id, secret)).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive})
		switch code := awsCode(err); {
		case err == nil:
			return append(ev, "POST https://"+iamHost+"/ UpdateAccessKey "+keyRef(id)+" Inactive (signed by the leaked key) -> 200"), nil
		case code == "InvalidClientTokenId":
			return append(ev, "POST https://"+iamHost+"/ UpdateAccessKey (signed by the leaked key) -> 403 InvalidClientTokenId"),
				fmt.Errorf("aws: the key no longer signs requests (inactive or deleted): %w", ErrAlreadyDone)
		default:
			selfErr = awsErr("UpdateAccessKey (leaked key)", err)
			ev = append(ev, "POST https://"+iamHost+"/ UpdateAccessKey (signed by the leaked key) -> "+orDefault(code, "error"))
		}
	}
	cfg, err := env.awsClients().admin(ctx, env)
	if err != nil {
		if selfErr != nil {
			return ev, selfErr
		}
		return ev, err
	}
	c := iamClient(env, cfg)
	user, inactive, e2, err := awsKeyState(ctx, c, id)
	ev = append(ev, e2...)
	if err != nil {
		return ev, err
	}
	if inactive {
		return ev, fmt.Errorf("aws: key is already inactive: %w", ErrAlreadyDone)
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive}); err != nil {
		return ev, awsErr("UpdateAccessKey", err)
	}
	return append(ev, "POST https://"+iamHost+"/ UpdateAccessKey "+keyRef(id)+" Inactive (admin profile) -> 200"), nil
}

// awsKeyState finds the key's user and whether the key is inactive.
func awsKeyState(ctx context.Context, c *iam.Client, id string) (user string, inactive bool, ev []string, err error) {
	lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil {
		if awsCode(err) == "NoSuchEntity" {
			return "", false, ev, fmt.Errorf("aws: key %s does not exist any more: %w", keyRef(id), ErrAlreadyDone)
		}
		return "", false, ev, awsErr("GetAccessKeyLastUsed", err)
	}
	user = aws.ToString(lu.UserName)
	ev = append(ev, "POST https://"+iamHost+"/ GetAccessKeyLastUsed "+keyRef(id)+" -> 200 (user "+user+")")
	ks, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return user, false, ev, awsErr("ListAccessKeys", err)
	}
	ev = append(ev, "POST https://"+iamHost+"/ ListAccessKeys "+user+" -> 200")
	for _, k := range ks.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == id {
			return user, k.Status == iamtypes.StatusTypeInactive, ev, nil
		}
	}
	return user, false, ev, fmt.Errorf("aws: key %s is not listed for %s: %w", keyRef(id), user, ErrAlreadyDone)
}

type awsRotate struct{}

// OperatorCredential implements Action.
func (awsRotate) OperatorCredential() string { return "AWS admin profile" }

// ValueNames implements valueNamer.
func (awsRotate) ValueNames() []string { return []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} }

func (awsRotate) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	id, _, err := awsPair(f)
	if err != nil {
		return nil, err
	}
	if env.Config.AWS.AdminProfile == "" && env.awsClients().Admin == nil {
		return nil, blocked("aws: rotation needs an admin profile ([providers.aws] admin_profile)")
	}
	if env.Destination == nil {
		return nil, env.noDestination("aws")
	}
	u := "https://" + iamHost + "/"
	a := "operator admin profile " + env.Config.AWS.AdminProfile
	calls := []Call{
		{Method: "POST", URL: u + " Action=GetAccessKeyLastUsed AccessKeyId=" + keyRef(id), Auth: a, Why: "find the key's IAM user"},
		{Method: "POST", URL: u + " Action=ListAccessKeys UserName={user}", Auth: a, Why: "a user holds at most two keys"},
		{Method: "POST", URL: u + " Action=CreateAccessKey UserName={user}", Auth: a, Why: "the replacement key"},
	}
	calls = append(calls, env.Destination.Calls()...)
	calls = append(calls,
		Call{Method: "POST", URL: "https://" + stsHost + "/ Action=GetCallerIdentity", Auth: "the new key", Why: "prove the new key works before the old one stops"},
		Call{Method: "POST", URL: u + " Action=UpdateAccessKey UserName={user} AccessKeyId=" + keyRef(id) + " Status=Inactive", Auth: a, Why: "disable the leaked key"},
		Call{Method: "POST", URL: u + " Action=DeleteAccessKey UserName={user} AccessKeyId={new}", Auth: a, Why: "only if a step before failed: never two live keys without a record, never zero"},
	)
	return calls, nil
}

func (awsRotate) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	id, _, err := awsPair(f)
	if err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.noDestination("aws")
	}
	cfg, err := env.awsClients().admin(ctx, env)
	if err != nil {
		return nil, err
	}
	c := iamClient(env, cfg)
	user, inactive, ev, err := awsKeyState(ctx, c, id)
	if err != nil {
		return ev, err
	}
	if inactive {
		return ev, fmt.Errorf("aws: the leaked key is already inactive: %w", ErrAlreadyDone)
	}
	nk, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return ev, awsErr("CreateAccessKey", err)
	}
	newID, newSecret := aws.ToString(nk.AccessKey.AccessKeyId), aws.ToString(nk.AccessKey.SecretAccessKey)
	ev = append(ev, "POST https://"+iamHost+"/ CreateAccessKey "+user+" -> 200 (new key "+newID+")")
	env.progress(ctx, "created new key "+newID+" for "+user+"; the leaked key "+keyRef(id)+" is still active; storing the new key in "+env.Destination.Describe())
	rollback := func(cause error) ([]string, error) {
		_, derr := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(newID)})
		if derr != nil {
			ev = append(ev, "POST https://"+iamHost+"/ DeleteAccessKey "+newID+" -> "+orDefault(awsCode(derr), "error"))
			return ev, fmt.Errorf("rotation stopped half-way (%v); the leaked key %s is still active; the new key %s could NOT be deleted (%v): delete it by hand", cause, keyRef(id), newID, awsErr("DeleteAccessKey", derr))
		}
		ev = append(ev, "POST https://"+iamHost+"/ DeleteAccessKey "+newID+" -> 200 (rolled back)")
		return ev, fmt.Errorf("rotation stopped half-way (%v); the new key %s was deleted; the leaked key %s is still active", cause, newID, keyRef(id))
	}
	dev, err := env.Destination.Put(ctx, map[string]string{"AWS_ACCESS_KEY_ID": newID, "AWS_SECRET_ACCESS_KEY": newSecret})
	ev = append(ev, dev...)
	if err != nil {
		return rollback(fmt.Errorf("storing in %s: %w", env.Destination.Describe(), err))
	}
	ev = append(ev, "stored the new key in "+env.Destination.Describe())
	env.progress(ctx, "new key "+newID+" stored in "+env.Destination.Describe()+"; verifying it before deactivating "+keyRef(id))
	wait := env.awsClients().Propagation
	if wait == 0 && env.awsClients().Admin == nil {
		wait = 15 * time.Second
	}
	deadline := env.now().Add(wait)
	for {
		_, err = stsClient(env, static(newID, newSecret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil || !env.now().Before(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if err != nil {
		return rollback(fmt.Errorf("the new key does not work: %w", awsErr("GetCallerIdentity", err)))
	}
	ev = append(ev, "POST https://"+stsHost+"/ GetCallerIdentity (new key) -> 200")
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive}); err != nil {
		return ev, fmt.Errorf("the new key %s is live and stored in %s, but the leaked key %s is still ACTIVE (%v): deactivate it by hand", newID, env.Destination.Describe(), keyRef(id), awsErr("UpdateAccessKey", err))
	}
	return append(ev, "POST https://"+iamHost+"/ UpdateAccessKey "+keyRef(id)+" Inactive -> 200"), nil
}

type awsCheck struct{}

// Check asks STS with the key itself when its secret is known, else the
// admin profile for the key's status.
func (awsCheck) Check(ctx context.Context, env *Env, f *finding.Finding) *finding.Verification {
	id, secret := awsKey(f)
	now := env.now().UTC()
	if id != "" && secret != "" {
		out, err := stsClient(env, static(id, secret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		switch code := awsCode(err); {
		case err == nil:
			return &finding.Verification{Status: finding.StatusLive, CheckedAt: now, Endpoint: "POST https://" + stsHost + "/",
				Identity: map[string]string{"arn": aws.ToString(out.Arn), "account": aws.ToString(out.Account)}}
		case code == "InvalidClientTokenId":
			return &finding.Verification{Status: finding.StatusDead, Reason: code, CheckedAt: now, Endpoint: "POST https://" + stsHost + "/"}
		}
	}
	if id == "" {
		return nil
	}
	cfg, err := env.awsClients().admin(ctx, env)
	if err != nil {
		return nil
	}
	_, inactive, _, err := awsKeyState(ctx, iamClient(env, cfg), id)
	switch {
	case IsAlreadyDone(err) || (err == nil && inactive):
		return &finding.Verification{Status: finding.StatusDead, Reason: "key inactive or deleted (IAM)", CheckedAt: now, Endpoint: "POST https://" + iamHost + "/"}
	case err == nil:
		// An active key id says nothing about the secret that was found
		// with it: only the pair itself proves a live credential.
		return &finding.Verification{Status: finding.StatusUnknown, Reason: "key id active (IAM); its secret was not checked", CheckedAt: now, Endpoint: "POST https://" + iamHost + "/"}
	}
	return &finding.Verification{Status: finding.StatusUnknown, Reason: err.Error(), CheckedAt: now}
}

// keyRef names the leaked key without printing it whole: its first eight
// characters (the type prefix and four more), as report redaction allows.
func keyRef(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}
