package objstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// This file is a gocloud.dev/blob driver for Google Cloud Storage that
// speaks the JSON API over net/http. Google's client library
// (cloud.google.com/go/storage) links gRPC, xDS, OpenTelemetry exporters
// and their protobuf descriptors: 226 linked packages whose init functions
// and pages every rdbscope process paid for at start (12 to 16 MiB of
// RSS a process), for the handful of requests below.
//
// Requests, as the JSON API reference describes them:
//
//   - metadata: GET /storage/v1/b/BUCKET/o/OBJECT
//   - listing:  GET /storage/v1/b/BUCKET/o?prefix=&delimiter=&pageToken=
//   - reading:  GET /storage/v1/b/BUCKET/o/OBJECT?alt=media, with Range,
//     ifGenerationMatch and Accept-Encoding: gzip (the stored bytes: no
//     decompressive transcoding)
//   - writing:  POST /upload/storage/v1/b/BUCKET/o?uploadType=multipart
//     for an object that fits one chunk, else a resumable session whose
//     last chunk commits the object
//   - deleting: DELETE /storage/v1/b/BUCKET/o/OBJECT

// gcsScope is the OAuth scope of the Application Default Credentials, as
// Google's client libraries ask for it.
const gcsScope = "https://www.googleapis.com/auth/cloud-platform"

// gcsChunk is the largest part of an upload held in memory: an object
// that fits is sent in one request, a larger one in resumable chunks of
// this size (a multiple of 256 KiB, as the API requires).
const gcsChunk = 8 << 20

// gcsAttempts bounds the attempts of an idempotent request (metadata,
// listing, the first request of a read outside Reader) that fails before
// any response byte: the client library retried these on its own. Reads
// through Reader are never retried here: Reader retries and reports.
const gcsAttempts = 4

// gcsBucket implements driver.Bucket for one Cloud Storage bucket.
type gcsBucket struct {
	name     string
	endpoint string // scheme://host of the JSON API, no trailing "/"
	client   *http.Client
	chunk    int // upload chunk size
}

// gcsParams are the URL parameters the gs scheme takes: the ones
// gocloud.dev's gs opener took, so that URLs keep working.
var gcsParams = map[string]bool{
	"anonymous":        true, // no credentials: a public bucket
	"access_id":        true, // "-" is anonymous; other values only named a signer for signed URLs
	"private_key_path": true, // a signing key for signed URLs, which rdbscope never makes
	"universe_domain":  true, // storage.UNIVERSE instead of storage.googleapis.com
	"grpc":             true, // accepted; the JSON API is always used
}

// openGCS opens a gs:// bucket. Credentials are Application Default
// Credentials; a missing credential is an error that says what to do,
// unless the URL asks for anonymous access or an emulator is configured
// (STORAGE_EMULATOR_HOST), which gets no credentials.
func openGCS(ctx context.Context, l location) (*blob.Bucket, error) {
	b, err := newGCSBucket(ctx, l)
	if err != nil {
		return nil, err
	}
	return blob.NewBucket(b), nil
}

func newGCSBucket(ctx context.Context, l location) (*gcsBucket, error) {
	anonymous := false
	for k := range l.query {
		if k == "zonal" {
			return nil, errors.New(`query parameter "zonal": zonal buckets need the gRPC API, which rdbscope does not include`)
		}
		if !gcsParams[k] {
			return nil, fmt.Errorf("invalid query parameter %q", k)
		}
	}
	for _, k := range []string{"anonymous", "grpc"} {
		if v := l.query.Get(k); v != "" {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("invalid value %q for query parameter %q: %w", v, k, err)
			}
			anonymous = anonymous || (k == "anonymous" && on)
		}
	}
	anonymous = anonymous || l.query.Get("access_id") == "-"

	domain := "googleapis.com"
	if d := l.query.Get("universe_domain"); d != "" {
		if strings.ContainsAny(d, "/?#@:") {
			return nil, fmt.Errorf("invalid value %q for query parameter \"universe_domain\": a domain name, as googleapis.com", d)
		}
		domain = d
	}
	b := &gcsBucket{name: l.bucket, endpoint: "https://storage." + domain, chunk: gcsChunk}
	base := http.DefaultTransport.(*http.Transport).Clone()
	var rt http.RoundTripper = base
	switch host := os.Getenv("STORAGE_EMULATOR_HOST"); {
	case host != "":
		b.endpoint = strings.TrimSuffix(host, "/")
		if !strings.Contains(host, "://") {
			b.endpoint = "http://" + b.endpoint
		}
	case !anonymous:
		creds, err := google.FindDefaultCredentials(ctx, gcsScope)
		if err != nil {
			return nil, noCredentials{err}
		}
		rt = &oauth2.Transport{Source: creds.TokenSource, Base: base}
	}
	b.client = &http.Client{
		Transport: rt,
		// The API answers, it does not redirect; a 308 is an
		// unfinished resumable upload, read as such.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return b, nil
}

// gcsObject is an object resource of the JSON API, as metadata and
// listings return it, and what a read's response headers tell of it.
// Attributes, listed objects and readers expose it through As.
type gcsObject struct {
	Name            string            `json:"name"`
	Bucket          string            `json:"bucket"`
	Generation      int64             `json:"generation,string"`
	Size            int64             `json:"size,string"`
	ContentType     string            `json:"contentType"`
	ContentEncoding string            `json:"contentEncoding"`
	ContentLanguage string            `json:"contentLanguage"`
	ContentDisp     string            `json:"contentDisposition"`
	CacheControl    string            `json:"cacheControl"`
	MD5Hash         string            `json:"md5Hash"` // base64
	Etag            string            `json:"etag"`
	TimeCreated     string            `json:"timeCreated"` // RFC 3339
	Updated         string            `json:"updated"`     // RFC 3339
	Metadata        map[string]string `json:"metadata"`
}

func (o *gcsObject) modTime() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, o.Updated)
	return t
}

func (o *gcsObject) md5() []byte {
	sum, _ := base64.StdEncoding.DecodeString(o.MD5Hash)
	return sum
}

// as exposes o to gocloud's As functions.
func (o gcsObject) as(i any) bool {
	p, ok := i.(*gcsObject)
	if ok {
		*p = o
	}
	return ok
}

// gcsError is a response of the API that says no.
type gcsError struct {
	status  int    // HTTP status
	reason  string // the API's reason, as "notFound", when it sent one
	message string
}

func (e *gcsError) Error() string {
	s := "Cloud Storage: HTTP " + strconv.Itoa(e.status)
	if e.reason != "" {
		s += " " + e.reason
	}
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

// errGCSUnsupported is the error of the driver methods rdbscope does not
// use.
var errGCSUnsupported = errors.New("not supported by rdbscope's Cloud Storage driver")

// errRangeIgnored is a full response to a ranged read: its bytes would
// not be the ones asked for.
var errRangeIgnored = errors.New("the store ignored the Range header of a read")

// errTranscoded is a read of an object stored with Content-Encoding: gzip
// that Cloud Storage sent decompressed although the request accepted
// gzip: it does so for some content types, and then ignores Range and
// sends no length. Its bytes are not the stored bytes whose size the
// object reports, so the read is refused rather than judged changed.
var errTranscoded = errors.New("the object is stored gzip-encoded but Cloud Storage sent it decompressed (it does for some content types): set Cache-Control: no-transform on the object to read it as stored")

// responseError reads the error a response carries: the JSON API's
// {"error": {...}} body, or the text of a plain one.
func responseError(resp *http.Response) error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &gcsError{status: resp.StatusCode}
	var parsed struct {
		Error struct {
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &parsed) == nil && parsed.Error.Message != "" {
		e.message = parsed.Error.Message
		if len(parsed.Error.Errors) > 0 {
			e.reason = parsed.Error.Errors[0].Reason
		}
		return e
	}
	msg := strings.TrimSpace(string(body))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 300 || strings.HasPrefix(msg, "<") {
		msg = ""
	}
	e.message = cmp.Or(msg, http.StatusText(resp.StatusCode))
	return e
}

// objectURL is the JSON API URL of an object (key "" for the bucket's
// object collection), with the query q.
func (b *gcsBucket) objectURL(prefix, key string, q url.Values) string {
	u := b.endpoint + prefix + "/storage/v1/b/" + gcsEscape(b.name) + "/o"
	if key != "" {
		u += "/" + gcsEscape(key)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// gcsEscape percent-encodes every byte but the unreserved characters of
// RFC 3986, as the API asks for object names in a path ("/" included).
func gcsEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			sb.WriteByte(c)
		default:
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
	}
	return sb.String()
}

// transient reports whether a failure before any response byte may go
// away when the request is sent again.
func transient(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		// The token endpoint said no: sending again changes nothing.
		var refused *oauth2.RetrieveError
		return !errors.As(err, &refused)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c >= 500:
		return true
	}
	return false
}

// do sends a request without a body (GET, DELETE), again after a transient
// failure when retry is set, and returns a response whose status is
// below 300 or in ok; any other is returned as a *gcsError.
func (b *gcsBucket) do(ctx context.Context, method, u string, hdr http.Header, retry bool, ok ...int) (*http.Response, error) {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := b.client.Do(req)
		if retry && attempt < gcsAttempts && transient(ctx, resp, err) {
			if resp != nil {
				resp.Body.Close()
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			wait *= 2
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 300 {
			return resp, nil
		}
		for _, code := range ok {
			if resp.StatusCode == code {
				return resp, nil
			}
		}
		return nil, responseError(resp)
	}
}

// getJSON GETs u and decodes the JSON response into v.
func (b *gcsBucket) getJSON(ctx context.Context, u string, v any) error {
	resp, err := b.do(ctx, http.MethodGet, u, nil, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("reading the response of %s: %w", u, err)
	}
	return nil
}

// ErrorCode implements driver.Bucket.
func (b *gcsBucket) ErrorCode(err error) gcerrors.ErrorCode {
	var e *gcsError
	switch {
	case errors.As(err, &e):
		switch e.status {
		case http.StatusNotFound:
			return gcerrors.NotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			return gcerrors.PermissionDenied
		case http.StatusPreconditionFailed, http.StatusNotModified:
			return gcerrors.FailedPrecondition
		case http.StatusBadRequest:
			return gcerrors.InvalidArgument
		case http.StatusConflict:
			return gcerrors.AlreadyExists
		case http.StatusTooManyRequests:
			return gcerrors.ResourceExhausted
		case http.StatusNotImplemented:
			return gcerrors.Unimplemented
		}
	case errors.Is(err, errGCSUnsupported), errors.Is(err, errRangeIgnored), errors.Is(err, errTranscoded):
		return gcerrors.Unimplemented
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	}
	return gcerrors.Unknown
}

// As implements driver.Bucket: **gcsBucket, for tests.
func (b *gcsBucket) As(i any) bool {
	p, ok := i.(**gcsBucket)
	if ok {
		*p = b
	}
	return ok
}

// ErrorAs implements driver.Bucket.
func (b *gcsBucket) ErrorAs(err error, i any) bool { return errors.As(err, i) }

// Attributes implements driver.Bucket.
func (b *gcsBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	var o gcsObject
	if err := b.getJSON(ctx, b.objectURL("", key, nil), &o); err != nil {
		return nil, err
	}
	created, _ := time.Parse(time.RFC3339Nano, o.TimeCreated)
	return &driver.Attributes{
		CacheControl:       o.CacheControl,
		ContentDisposition: o.ContentDisp,
		ContentEncoding:    o.ContentEncoding,
		ContentLanguage:    o.ContentLanguage,
		ContentType:        o.ContentType,
		Metadata:           o.Metadata,
		CreateTime:         created,
		ModTime:            o.modTime(),
		Size:               o.Size,
		MD5:                o.md5(),
		ETag:               o.Etag,
		AsFunc:             o.as,
	}, nil
}

// ListPaged implements driver.Bucket. Objects and "directories" (the
// API's prefixes) come merged in key order, as gocloud.dev expects; the
// API's maxResults counts both.
func (b *gcsBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if opts.BeforeList != nil {
		if err := opts.BeforeList(func(any) bool { return false }); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	if opts.Prefix != "" {
		q.Set("prefix", opts.Prefix)
	}
	if opts.Delimiter != "" {
		q.Set("delimiter", opts.Delimiter)
	}
	if opts.PageSize > 0 {
		q.Set("maxResults", strconv.Itoa(opts.PageSize))
	}
	if len(opts.PageToken) > 0 {
		q.Set("pageToken", string(opts.PageToken))
	}
	var res struct {
		Items         []gcsObject `json:"items"`
		Prefixes      []string    `json:"prefixes"`
		NextPageToken string      `json:"nextPageToken"`
	}
	if err := b.getJSON(ctx, b.objectURL("", "", q), &res); err != nil {
		return nil, err
	}
	page := &driver.ListPage{Objects: make([]*driver.ListObject, 0, len(res.Items)+len(res.Prefixes))}
	for _, o := range res.Items {
		page.Objects = append(page.Objects, &driver.ListObject{
			Key: o.Name, ModTime: o.modTime(), Size: o.Size, MD5: o.md5(), AsFunc: o.as,
		})
	}
	for _, p := range res.Prefixes {
		page.Objects = append(page.Objects, &driver.ListObject{Key: p, IsDir: true})
	}
	sort.Slice(page.Objects, func(i, j int) bool { return page.Objects[i].Key < page.Objects[j].Key })
	if res.NextPageToken != "" {
		page.NextPageToken = []byte(res.NextPageToken)
	}
	return page, nil
}

// gcsReadOptions are the conditions of a read, set through BeforeRead's
// As (*gcsReadOptions).
type gcsReadOptions struct {
	// IfGeneration, when not 0, makes the read fail (412) unless the
	// object is still this generation.
	IfGeneration int64
	// NoRetry sends the request once: the caller retries, and reports.
	NoRetry bool
}

// NewRangeReader implements driver.Bucket. It always reads the stored
// bytes: with Accept-Encoding: gzip, an object stored with
// Content-Encoding: gzip is sent as it is, and offsets are offsets into
// it (net/http does not decompress a response to a request that set the
// header itself).
func (b *gcsBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	var ro gcsReadOptions
	if opts.BeforeRead != nil {
		err := opts.BeforeRead(func(i any) bool {
			p, ok := i.(**gcsReadOptions)
			if ok {
				*p = &ro
			}
			return ok
		})
		if err != nil {
			return nil, err
		}
	}
	q := url.Values{"alt": {"media"}}
	if ro.IfGeneration != 0 {
		q.Set("ifGenerationMatch", strconv.FormatInt(ro.IfGeneration, 10))
	}
	if length == 0 {
		return b.emptyReader(ctx, key, ro)
	}
	hdr := http.Header{"Accept-Encoding": {"gzip"}}
	switch {
	case length > 0:
		hdr.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		hdr.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := b.do(ctx, http.MethodGet, b.objectURL("", key, q), hdr, !ro.NoRetry, http.StatusRequestedRangeNotSatisfiable)
	if err != nil {
		return nil, err
	}
	o := gcsObject{
		Name:            key,
		Bucket:          b.name,
		ContentType:     resp.Header.Get("Content-Type"),
		ContentEncoding: resp.Header.Get("X-Goog-Stored-Content-Encoding"),
		Etag:            resp.Header.Get("Etag"),
		Size:            -1,
	}
	o.Generation, _ = strconv.ParseInt(resp.Header.Get("X-Goog-Generation"), 10, 64)
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		o.Updated = t.UTC().Format(time.RFC3339Nano)
	}
	switch resp.StatusCode {
	case http.StatusRequestedRangeNotSatisfiable:
		// A range from byte 0 is unsatisfiable only for an empty object,
		// whatever Content-Range says: that is an empty read. Any other
		// is an error (a resumed read past the end of an object that
		// shrank).
		resp.Body.Close()
		if offset != 0 {
			return nil, &gcsError{status: resp.StatusCode, message: "range " + hdr.Get("Range") + " not satisfiable"}
		}
		o.Size = 0
		return &gcsReader{body: http.NoBody, obj: o}, nil
	case http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			resp.Body.Close()
			return nil, fmt.Errorf("read from byte %d: unexpected Content-Range %q", offset, resp.Header.Get("Content-Range"))
		}
		o.Size = total
	default:
		if offset > 0 {
			resp.Body.Close()
			return nil, errRangeIgnored
		}
		if n, err := strconv.ParseInt(resp.Header.Get("X-Goog-Stored-Content-Length"), 10, 64); err == nil {
			o.Size = n
		} else {
			o.Size = resp.ContentLength
		}
	}
	if o.ContentEncoding == "gzip" && resp.Header.Get("Content-Encoding") != "gzip" {
		resp.Body.Close()
		return nil, errTranscoded
	}
	if o.Size < 0 {
		resp.Body.Close()
		return nil, errors.New("the response of a read gave no object size")
	}
	var body io.ReadCloser = resp.Body
	if length > 0 && resp.StatusCode == http.StatusOK {
		// The whole object for a range from byte 0: a reader gives at
		// most the bytes asked for (a format check reads the first few).
		body = limitedBody{io.LimitReader(resp.Body, length), resp.Body}
	}
	return &gcsReader{body: body, obj: o}, nil
}

// emptyReader is a read of no bytes: the object's metadata only.
func (b *gcsBucket) emptyReader(ctx context.Context, key string, ro gcsReadOptions) (driver.Reader, error) {
	q := url.Values{}
	if ro.IfGeneration != 0 {
		q.Set("ifGenerationMatch", strconv.FormatInt(ro.IfGeneration, 10))
	}
	var o gcsObject
	if err := b.getJSON(ctx, b.objectURL("", key, q), &o); err != nil {
		return nil, err
	}
	return &gcsReader{body: http.NoBody, obj: o}, nil
}

// parseContentRange parses "bytes START-END/TOTAL".
func parseContentRange(h string) (start, total int64, ok bool) {
	s, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(s, "/")
	first, _, found2 := strings.Cut(rng, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	return start, total, err1 == nil && err2 == nil
}

// limitedBody reads at most a limit of a response body and closes the
// body.
type limitedBody struct {
	io.Reader
	io.Closer
}

// gcsReader is the body of a read.
type gcsReader struct {
	body io.ReadCloser
	obj  gcsObject
}

func (r *gcsReader) Read(p []byte) (int, error) { return r.body.Read(p) }
func (r *gcsReader) Close() error               { return r.body.Close() }

// Attributes implements driver.Reader.
func (r *gcsReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.obj.ContentType, ModTime: r.obj.modTime(), Size: r.obj.Size}
}

// As implements driver.Reader: *gcsObject, with the generation read.
func (r *gcsReader) As(i any) bool { return r.obj.as(i) }

// NewTypedWriter implements driver.Bucket.
func (b *gcsBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(func(any) bool { return false }); err != nil {
			return nil, err
		}
	}
	meta := map[string]any{"name": key, "contentType": contentType}
	for k, v := range map[string]string{
		"cacheControl": opts.CacheControl, "contentDisposition": opts.ContentDisposition,
		"contentEncoding": opts.ContentEncoding, "contentLanguage": opts.ContentLanguage,
	} {
		if v != "" {
			meta[k] = v
		}
	}
	if len(opts.ContentMD5) > 0 {
		meta["md5Hash"] = base64.StdEncoding.EncodeToString(opts.ContentMD5)
	}
	if len(opts.Metadata) > 0 {
		meta["metadata"] = opts.Metadata
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.IfNotExist {
		q.Set("ifGenerationMatch", "0")
	}
	return &gcsWriter{ctx: ctx, b: b, meta: js, contentType: contentType, query: q}, nil
}

// gcsWriter uploads one object. The bytes are held up to one chunk: an
// object that fits is sent whole at Close; a larger one goes through a
// resumable session, chunk after chunk, which the last chunk (sent at
// Close) commits. Nothing is visible before that, and a canceled context
// or a failed write commits nothing.
type gcsWriter struct {
	ctx         context.Context
	b           *gcsBucket
	meta        []byte // the object resource, JSON
	contentType string
	query       url.Values

	buf     []byte
	session string // the resumable session's URI, once one is started
	sent    int64  // bytes the session has stored
	err     error  // sticky
}

// Write implements io.Writer.
func (w *gcsWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == w.b.chunk {
			// More is coming: this chunk is not the last.
			if err := w.flush(false); err != nil {
				w.err = err
				return n - len(p), err
			}
		}
		k := min(len(p), w.b.chunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Close implements io.Closer: it commits the object.
func (w *gcsWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return err
	}
	if w.session == "" {
		w.err = w.multipart()
	} else {
		w.err = w.flush(true)
	}
	if w.err != nil {
		return w.err
	}
	w.err = errors.New("write after Close")
	return nil
}

// multipart sends the whole object with its metadata in one request: a
// multipart/related body (RFC 2387) of the JSON resource and the bytes,
// which are sent from the buffer, not copied.
func (w *gcsWriter) multipart() error {
	boundary := multipart.NewWriter(io.Discard).Boundary()
	head := "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + string(w.meta) +
		"\r\n--" + boundary + "\r\nContent-Type: " + w.contentType + "\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	q := cloneValues(w.query)
	q.Set("uploadType", "multipart")
	body := io.MultiReader(strings.NewReader(head), bytes.NewReader(w.buf), strings.NewReader(tail))
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.b.objectURL("/upload", "", q), body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(head) + len(w.buf) + len(tail))
	req.Header.Set("Content-Type", "multipart/related; boundary="+boundary)
	return w.send(req, http.StatusOK)
}

// flush sends the buffered chunk to the resumable session, starting it
// first; the last chunk says the object's size, which commits it. A chunk
// whose request fails in a way that may pass (no response, 408, 429, 5xx),
// or that the session did not store, is sent again from what the session
// says it stored, up to gcsAttempts times with backoff: a session keeps
// what it stored, which is what makes resumable uploads safe to retry.
func (w *gcsWriter) flush(last bool) error {
	if w.session == "" {
		if err := w.start(); err != nil {
			return err
		}
	}
	wait := 250 * time.Millisecond
	failures := 0
	retry := func(cause error) error {
		failures++
		if failures >= gcsAttempts {
			return cause
		}
		if err := sleep(w.ctx, wait); err != nil {
			return err
		}
		wait *= 2
		return nil
	}
	send := w.buf
	for {
		total := "*"
		if last {
			total = strconv.FormatInt(w.sent+int64(len(w.buf)), 10)
		}
		// After a failure, an empty PUT asks the session what it stored.
		rng := "bytes */" + total
		if len(send) > 0 {
			rng = fmt.Sprintf("bytes %d-%d/%s", w.sent, w.sent+int64(len(send))-1, total)
		}
		req, err := http.NewRequestWithContext(w.ctx, http.MethodPut, w.session, bytes.NewReader(send))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Range", rng)
		resp, err := w.b.client.Do(req)
		if err != nil && !transient(w.ctx, nil, err) {
			return err
		}
		if err != nil || transient(w.ctx, resp, nil) {
			if err == nil {
				err = responseError(resp)
			}
			if err := retry(err); err != nil {
				return err
			}
			send = nil // ask the session first
			continue
		}
		switch {
		case last && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated):
			resp.Body.Close()
			return nil
		case resp.StatusCode == http.StatusPermanentRedirect:
			// "Resume incomplete": Range (absent when nothing is
			// stored) says how much the session holds.
			resp.Body.Close()
			stored := int64(0)
			if r, ok := strings.CutPrefix(resp.Header.Get("Range"), "bytes=0-"); ok {
				end, err := strconv.ParseInt(r, 10, 64)
				if err != nil {
					return fmt.Errorf("upload: bad Range %q in the response", resp.Header.Get("Range"))
				}
				stored = end + 1
			}
			done := stored - w.sent
			if done < 0 || done > int64(len(w.buf)) {
				return fmt.Errorf("upload: the session stored %d bytes of the %d sent", stored, w.sent+int64(len(w.buf)))
			}
			w.sent = stored
			w.buf = w.buf[:copy(w.buf, w.buf[done:])]
			if len(w.buf) == 0 && !last {
				return nil
			}
			if done == 0 && (len(send) > 0 || len(w.buf) == 0) {
				// The chunk was sent and none of it stored, or all is
				// stored and the session still does not commit.
				if err := retry(errors.New("upload: the session stored none of a chunk, or did not commit the object")); err != nil {
					return err
				}
			}
			send = w.buf
		default:
			return responseError(resp)
		}
	}
}

// start opens a resumable upload session.
func (w *gcsWriter) start() error {
	q := cloneValues(w.query)
	q.Set("uploadType", "resumable")
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.b.objectURL("/upload", "", q), bytes.NewReader(w.meta))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Upload-Content-Type", w.contentType)
	resp, err := w.b.client.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return responseError(resp)
	}
	resp.Body.Close()
	w.session = resp.Header.Get("Location")
	if w.session == "" {
		return errors.New("upload: a resumable session was started without a session URI")
	}
	return nil
}

// send sends an upload request and checks its status.
func (w *gcsWriter) send(req *http.Request, want int) error {
	resp, err := w.b.client.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return responseError(resp)
	}
	resp.Body.Close()
	return nil
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v)+1)
	for k, vs := range v {
		c[k] = vs
	}
	return c
}

// Copy implements driver.Bucket; rdbscope copies nothing.
func (b *gcsBucket) Copy(context.Context, string, string, *driver.CopyOptions) error {
	return errGCSUnsupported
}

// Delete implements driver.Bucket.
func (b *gcsBucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	if opts.BeforeDelete != nil {
		if err := opts.BeforeDelete(func(any) bool { return false }); err != nil {
			return err
		}
	}
	resp, err := b.do(ctx, http.MethodDelete, b.objectURL("", key, nil), nil, false)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// SignedURL implements driver.Bucket; rdbscope signs no URL.
func (b *gcsBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errGCSUnsupported
}

// Close implements driver.Bucket. Readers still open keep their
// connections.
func (b *gcsBucket) Close() error {
	b.client.CloseIdleConnections()
	return nil
}
