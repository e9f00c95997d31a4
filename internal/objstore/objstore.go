// Package objstore reads dumps from and writes outputs to object storage:
// Amazon S3 and S3-compatible stores (s3://BUCKET/KEY), Google Cloud
// Storage (gs://BUCKET/KEY) and Azure Blob Storage (azblob://CONTAINER/BLOB).
//
// It is built on gocloud.dev/blob, so URL query parameters are the ones
// gocloud.dev's URL openers accept (for S3: endpoint, region,
// use_path_style, s3ForcePathStyle, anonymous, profile, ...) and
// credentials come from each cloud's standard chain. Cloud Storage goes
// through a driver of this package over the JSON API (gcs.go) rather
// than Google's client library, which links gRPC and more into every
// process; it takes the parameters gocloud.dev's gs opener took. docs/storage.md
// describes the URL forms and the credentials for users.
//
// The package has four entry points: IsURL tells an object URL from a
// local path, List expands a URL (one object, a prefix ending in "/", or a
// glob) into objects, Open streams one object and resumes it after a
// dropped connection, and Create writes an object that becomes visible
// only when it is complete.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/s3blob"
)

// The errors below classify failures; every error this package returns
// that falls in one of these classes wraps the class, so that callers can
// test it with errors.Is, and says in its text what to do about it.
var (
	// ErrUnsupportedScheme is returned for a URL whose scheme is not
	// s3, gs or azblob.
	ErrUnsupportedScheme = errors.New("unsupported object storage scheme")
	// ErrNoCredentials is returned when the cloud's credential chain
	// found nothing to authenticate with.
	ErrNoCredentials = errors.New("no credentials")
	// ErrAccessDenied is returned when the store refused the credentials
	// or the request.
	ErrAccessDenied = errors.New("access denied")
	// ErrNotFound is returned for a missing bucket or object, and for a
	// prefix or glob that matches no object.
	ErrNotFound = errors.New("not found")
	// ErrChanged is returned when an object changed (was replaced,
	// rewritten or deleted) while it was being read: the bytes already
	// delivered and the ones still to come would belong to different
	// objects.
	ErrChanged = errors.New("object changed during read")
)

// schemes lists the supported schemes in the order they are named in
// messages.
var schemes = []string{"s3", "gs", "azblob"}

// supportedForms names the URL forms for error messages.
const supportedForms = "s3://BUCKET/KEY, gs://BUCKET/KEY, azblob://CONTAINER/BLOB"

// urlPattern is what IsURL accepts: an RFC 3986 scheme of at least two
// characters (so that a Windows drive letter is never taken for one)
// followed by "://".
var urlPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+://`)

// IsURL reports whether arg is meant as a URL rather than a local path:
// it starts with "SCHEME://". It is true for unsupported schemes too, so
// that List, Open or Create can say which schemes are supported instead
// of a caller reporting a missing local file.
func IsURL(arg string) bool {
	return urlPattern.MatchString(arg)
}

// location is a parsed object URL.
type location struct {
	raw    string     // as given, for messages
	scheme string     // s3, gs or azblob
	bucket string     // bucket or container
	key    string     // object key, prefix or glob; no leading "/"
	query  url.Values // bucket options, passed to the driver
}

// parseURL splits an object URL. The key is the URL's path without its
// leading "/", percent-decoded.
func parseURL(raw string) (location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return location{}, fmt.Errorf("%s: not a valid URL: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if !supportedScheme(scheme) {
		return location{}, fmt.Errorf("%s: %w %q: use one of %s (with a prefix ending in / or a glob to name several objects)", raw, ErrUnsupportedScheme, u.Scheme, supportedForms)
	}
	if u.User != nil {
		return location{}, fmt.Errorf("%s: credentials do not belong in the URL: the %s section of docs/storage.md says where they go", redact(u), scheme)
	}
	if u.Host == "" {
		return location{}, fmt.Errorf("%s: no %s name: the form is %s", raw, bucketWord(scheme), formFor(scheme))
	}
	return location{
		raw:    raw,
		scheme: scheme,
		bucket: u.Host,
		key:    strings.TrimPrefix(u.Path, "/"),
		query:  u.Query(),
	}, nil
}

func supportedScheme(s string) bool {
	for _, k := range schemes {
		if s == k {
			return true
		}
	}
	return false
}

func bucketWord(scheme string) string {
	if scheme == "azblob" {
		return "container"
	}
	return "bucket"
}

func formFor(scheme string) string {
	switch scheme {
	case "gs":
		return "gs://BUCKET/KEY"
	case "azblob":
		return "azblob://CONTAINER/BLOB"
	}
	return "s3://BUCKET/KEY"
}

// redact drops user information from a URL for a message.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// objectURL is the URL of key in the same bucket, with the same options.
func (l location) objectURL(key string) string {
	u := url.URL{Scheme: l.scheme, Host: l.bucket, Path: "/" + key, RawQuery: l.query.Encode()}
	return u.String()
}

// bucketURL is what the driver's URL opener gets: scheme, bucket and
// options, no key.
func (l location) bucketURL() *url.URL {
	return &url.URL{Scheme: l.scheme, Host: l.bucket, RawQuery: l.query.Encode()}
}

// isPrefix reports whether the key names a "directory" of objects.
func (l location) isPrefix() bool {
	return l.key == "" || strings.HasSuffix(l.key, "/")
}

// openBucket opens the bucket of l with the cloud's default credential
// chain. Each call opens its own client: the package keeps no state.
func openBucket(ctx context.Context, l location) (*blob.Bucket, error) {
	var (
		b   *blob.Bucket
		err error
	)
	switch l.scheme {
	case "s3":
		// The SDK reads AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE and
		// the rest of the standard chain itself.
		b, err = new(s3blob.URLOpener).OpenBucketURL(ctx, l.bucketURL())
	case "gs":
		b, err = openGCS(ctx, l)
	case "azblob":
		b, err = openAzure(ctx, l)
	}
	if err != nil {
		return nil, l.classify("open", err)
	}
	return b, nil
}

// azureEndpointParams are the URL parameters that change where an
// azblob:// request goes.
var azureEndpointParams = []string{"domain", "protocol", "cdn", "localemu", "storage_account"}

// openAzure opens an azblob:// bucket, reading the AZURE_STORAGE_*
// environment on every call (gocloud.dev's default opener reads it once
// per process).
func openAzure(ctx context.Context, l location) (*blob.Bucket, error) {
	svc := azureblob.NewDefaultServiceURLOptions()
	if svc.AccountName == "" && l.query.Get("storage_account") == "" {
		return nil, noCredentials{errors.New("no storage account named")}
	}
	if svc.SASToken != "" {
		// A SAS token is a secret for one account: never send it to an
		// endpoint that the URL chose.
		for _, p := range azureEndpointParams {
			if l.query.Has(p) {
				return nil, fmt.Errorf("with AZURE_STORAGE_SAS_TOKEN set, the endpoint comes from AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_DOMAIN and AZURE_STORAGE_PROTOCOL, not from the URL parameter %q", p)
			}
		}
	}
	opener := &azureblob.URLOpener{MakeClient: azureblob.NewDefaultClient, ServiceURLOptions: *svc}
	return opener.OpenBucketURL(ctx, l.bucketURL())
}
