package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2"
)

// credentialHelp says, per scheme, where credentials come from.
var credentialHelp = map[string]string{
	"s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), " +
		"or AWS_PROFILE with ~/.aws/credentials or ~/.aws/config (aws sso login), " +
		"or run where the SDK finds a role (EKS IRSA: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; EKS Pod Identity; ECS task role; EC2 instance profile); " +
		"add ?anonymous=true for a public bucket",
	"gs": "set GOOGLE_APPLICATION_CREDENTIALS to a service account key or workload identity federation file, " +
		"or run 'gcloud auth application-default login', " +
		"or run on Google Cloud with a service account (GKE Workload Identity, Compute Engine); " +
		"add ?anonymous=true for a public bucket, or set STORAGE_EMULATOR_HOST for an emulator",
	"azblob": "set AZURE_STORAGE_ACCOUNT (or ?storage_account=NAME) and one of AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, " +
		"or AZURE_STORAGE_CONNECTION_STRING alone; without a key, Microsoft Entra ID is used: " +
		"AZURE_CLIENT_ID with AZURE_TENANT_ID and AZURE_CLIENT_SECRET, AKS workload identity (AZURE_FEDERATED_TOKEN_FILE), a managed identity, or 'az login'",
}

// permissionHelp says which permissions a read, a list or a write needs.
var permissionHelp = map[string]string{
	"s3":     "the credentials need s3:GetObject to read, s3:ListBucket to list and s3:PutObject to write",
	"gs":     "the credentials need storage.objects.get to read, storage.objects.list to list and storage.objects.create to write (roles/storage.objectViewer or objectCreator)",
	"azblob": "the credentials need the Storage Blob Data Reader role to read and list, Storage Blob Data Contributor to write",
}

// classify wraps err from operation op on l into one of the package's
// error classes where it belongs, with a message that says what to do.
// Errors that fit no class keep their text, prefixed with the URL.
func (l location) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %s: %w", l.raw, op, err)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrChanged), errors.Is(err, ErrUnsupportedScheme),
		errors.Is(err, ErrAccessDenied), errors.Is(err, ErrNoCredentials):
		return err // classified and worded already
	case isCredentialError(err):
		return fmt.Errorf("%s: %s: %w for %s: %s (%w)", l.raw, op, ErrNoCredentials, cloudName(l.scheme), credentialHelp[l.scheme], err)
	case l.scheme == "s3" && strings.Contains(err.Error(), "region must be set"):
		return fmt.Errorf("%s: %s: no AWS region: set AWS_REGION (or region in the AWS profile), or add ?region=REGION to the URL (%w)", l.raw, op, err)
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("%s: %s: %w (%w)", l.raw, op, ErrNotFound, err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("%s: %s: %w: %s (%w)", l.raw, op, ErrAccessDenied, permissionHelp[l.scheme], err)
	}
	if code := httpStatus(err); code == http.StatusUnauthorized || code == http.StatusForbidden {
		return fmt.Errorf("%s: %s: %w: %s (%w)", l.raw, op, ErrAccessDenied, permissionHelp[l.scheme], err)
	}
	return fmt.Errorf("%s: %s: %w", l.raw, op, err)
}

// noCredentials marks the failure of a credential chain that this
// package noticed itself (the SDKs' own failures are recognised by
// isCredentialError).
type noCredentials struct{ err error }

func (e noCredentials) Error() string { return e.err.Error() }
func (e noCredentials) Unwrap() error { return e.err }

func cloudName(scheme string) string {
	switch scheme {
	case "gs":
		return "Google Cloud Storage"
	case "azblob":
		return "Azure Blob Storage"
	}
	return "S3"
}

// isCredentialError recognises "the credential chain produced nothing"
// from each SDK. The AWS SDK has no error type for it, only its message.
func isCredentialError(err error) bool {
	var ours noCredentials
	if errors.As(err, &ours) {
		return true
	}
	var authFailed *azidentity.AuthenticationFailedError
	if errors.As(err, &authFailed) {
		return true
	}
	// Google's token endpoint refused the credentials (a revoked key, an
	// expired gcloud login): sending the request again will not help.
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{
		"get identity:",                        // AWS: resolving the signing identity failed
		"failed to refresh cached credentials", // AWS: the chain found no credentials
		"DefaultAzureCredential:",              // Azure: every credential of the chain failed
		"could not find default credentials",   // Google: no Application Default Credentials
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// httpStatus digs the HTTP status out of an SDK or Cloud Storage driver
// error, or returns 0.
func httpStatus(err error) int {
	var withCode interface{ HTTPStatusCode() int } // AWS (smithy-go)
	if errors.As(err, &withCode) {
		return withCode.HTTPStatusCode()
	}
	var az *azcore.ResponseError
	if errors.As(err, &az) {
		return az.StatusCode
	}
	var g *gcsError
	if errors.As(err, &g) {
		return g.status
	}
	return 0
}

// permanent reports whether a failed request would fail the same way if
// it were sent again: the store understood it and said no.
func permanent(err error) bool {
	if isCredentialError(err) || strings.Contains(err.Error(), "region must be set") {
		return true
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.FailedPrecondition,
		gcerrors.InvalidArgument, gcerrors.Unimplemented, gcerrors.AlreadyExists:
		return true
	}
	code := httpStatus(err)
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}
