package sigv4

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Error codes of aws-chunked bodies.
const (
	// CodeIncompleteBody: the decoded body is shorter or longer than
	// x-amz-decoded-content-length, or the stream ended early (HTTP 400).
	CodeIncompleteBody = "IncompleteBody"
	// CodeInvalidChunk: the aws-chunked framing is malformed or exceeds a
	// limit (HTTP 400).
	CodeInvalidChunk = "InvalidRequest"
	// CodeBadDigest: a trailer checksum does not match the body (HTTP 400).
	CodeBadDigest = "BadDigest"
	// CodeBodyTooLong: a chunk header announces more data than
	// x-amz-decoded-content-length leaves (HTTP 400). It is reported as soon
	// as the header is read, before the chunk's data, so a client declaring
	// a small body cannot make the reader take in a large one.
	CodeBodyTooLong = "EntityTooLarge"
)

// ChunkReader decodes an aws-chunked body (Content-Encoding: aws-chunked)
// and verifies it while it streams: the signature of every chunk (chained
// from the request's seed signature), the trailer's signature and the
// checksum it names. Read returns a chunk's bytes only after that chunk
// verified, and holds back the last data chunk until the final chunk and
// the trailer verified, so a reader that stops at the first error never
// holds a complete body that did not verify. Memory is bounded by one chunk
// (MaxChunkSize) plus one header line (MaxChunkLine).
//
// Errors are *Error values; after one, every Read returns it again.
type ChunkReader struct {
	src      *bufio.Reader
	mode     string
	key      [sha256.Size]byte // signing key; zero for unsigned modes
	scopeStr string            // "<amzdate>\n<scope>\n"
	prevSig  string
	decoded  int64 // declared decoded length, -1 if none
	trailers []string
	sum      hash.Hash // the checksum the trailer names, or nil
	sumName  string

	data     []byte // the buffer chunks are read into (one chunk)
	cur      []byte // the verified chunk being released
	off      int
	started  bool
	nsize    int    // the size of the next chunk, whose header was read
	nsig     string // and its signature
	released int64
	done     bool
	err      error
	// Trailer holds the trailer's headers (x-amz-checksum-*) once the body
	// has been read to io.EOF.
	Trailer http.Header
}

// ChunkParams are what a ChunkReader needs from the request's header.
type ChunkParams struct {
	// Mode is x-amz-content-sha256: StreamingPayload, StreamingPayloadTrailer
	// or StreamingUnsignedPayloadTrailer.
	Mode string
	// SigningKey is the request's derived signing key (SigningKey); unused
	// for StreamingUnsignedPayloadTrailer.
	SigningKey []byte
	// AmzDate, Region, Service: the request's X-Amz-Date and credential scope.
	AmzDate, Region, Service string
	// SeedSignature is the request's own signature.
	SeedSignature string
	// DecodedLength is x-amz-decoded-content-length, or -1 when absent.
	DecodedLength int64
	// Trailer is x-amz-trailer: the trailing header names announced.
	Trailer []string
}

// NewChunkReader returns a reader of the decoded, verified body.
func NewChunkReader(body io.Reader, p ChunkParams) (*ChunkReader, error) {
	c := &ChunkReader{src: bufio.NewReaderSize(body, MaxChunkLine+2), mode: p.Mode, prevSig: p.SeedSignature, decoded: p.DecodedLength}
	switch p.Mode {
	case StreamingPayload, StreamingPayloadTrailer:
		if len(p.SigningKey) != sha256.Size {
			return nil, newError(CodeInvalidChunk, "aws-chunked: a signing key is required for signed chunks.", "")
		}
		copy(c.key[:], p.SigningKey)
	case StreamingUnsignedPayloadTrailer:
	default:
		return nil, newError(CodeInvalidChunk, "Unsupported x-amz-content-sha256 value for aws-chunked: '"+p.Mode+"'.", "")
	}
	if len(p.AmzDate) < 8 {
		return nil, newError(CodeInvalidChunk, "aws-chunked: the request date is missing.", "")
	}
	c.scopeStr = p.AmzDate + "\n" + p.AmzDate[:8] + "/" + p.Region + "/" + p.Service + "/" + terminator + "\n"
	for _, t := range p.Trailer {
		for _, name := range strings.Split(t, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			c.trailers = append(c.trailers, name)
			if h := checksumHash(name); h != nil {
				if c.sum != nil {
					return nil, newError(CodeInvalidChunk, "aws-chunked: only one checksum trailer may be announced.", "")
				}
				c.sum, c.sumName = h, name
			} else {
				return nil, newError(CodeInvalidChunk, "aws-chunked: unsupported trailer '"+name+"'.", "")
			}
		}
	}
	if p.Mode == StreamingUnsignedPayloadTrailer && c.sum == nil {
		// An unsigned body must at least carry a checksum to be checked.
		return nil, newError(CodeInvalidChunk, "STREAMING-UNSIGNED-PAYLOAD-TRAILER requires an x-amz-trailer checksum (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1 or -sha256).", "")
	}
	return c, nil
}

var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func checksumHash(name string) hash.Hash {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-crc64nvme":
		return crc64.New(crc64NVME)
	case "x-amz-checksum-sha1":
		return sha1.New()
	case "x-amz-checksum-sha256":
		return sha256.New()
	}
	return nil
}

func (c *ChunkReader) signed() bool { return c.mode != StreamingUnsignedPayloadTrailer }

// Read implements io.Reader.
func (c *ChunkReader) Read(p []byte) (int, error) {
	for c.off >= len(c.cur) {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		if err := c.fill(); err != nil {
			c.err = err
			c.cur, c.off = nil, 0
		}
	}
	n := copy(p, c.cur[c.off:])
	c.off += n
	return n, nil
}

// fill reads and verifies the next data chunk, then reads the header after
// it: more data releases the chunk; the final chunk releases it only once
// the final chunk's signature, the trailer and the length verified.
func (c *ChunkReader) fill() error {
	if !c.started {
		c.started = true
		size, sig, err := c.header()
		if err != nil {
			return err
		}
		if err := c.checkAhead(int64(size)); err != nil {
			return err
		}
		c.nsize, c.nsig = size, sig
	}
	c.cur, c.off = nil, 0
	if c.nsize == 0 {
		if err := c.final(c.nsig); err != nil {
			return err
		}
		if err := c.checkLength(0, true); err != nil {
			return err
		}
		c.done = true
		return nil
	}
	if cap(c.data) < c.nsize {
		c.data = make([]byte, c.nsize)
	}
	buf := c.data[:c.nsize]
	if _, err := io.ReadFull(c.src, buf); err != nil {
		return incomplete()
	}
	if err := c.crlf(); err != nil {
		return err
	}
	if c.signed() {
		sum := sha256.Sum256(buf)
		if !c.verify("AWS4-HMAC-SHA256-PAYLOAD\n"+c.scopeStr+c.prevSig+"\n"+emptySHA256+"\n"+hex.EncodeToString(sum[:]), c.nsig) {
			return newError(CodeSignatureDoesNotMatch, msgSignatureMismatch, "")
		}
		c.prevSig = c.nsig
	}
	if c.sum != nil {
		c.sum.Write(buf)
	}
	size, sig, err := c.header()
	if err != nil {
		return err
	}
	if err := c.checkAhead(int64(len(buf)) + int64(size)); err != nil {
		return err
	}
	last := size == 0
	if last {
		if err := c.final(sig); err != nil {
			return err
		}
	}
	if err := c.checkLength(int64(len(buf)), last); err != nil {
		return err
	}
	c.released += int64(len(buf))
	c.cur, c.done = buf, last
	c.nsize, c.nsig = size, sig
	return nil
}

func incomplete() *Error {
	return newError(CodeIncompleteBody, "The request body terminated unexpectedly", "")
}

// checkLength checks n more bytes against x-amz-decoded-content-length.
func (c *ChunkReader) checkLength(n int64, last bool) error {
	if c.decoded < 0 {
		return nil
	}
	total := c.released + n
	if total > c.decoded || (last && total != c.decoded) {
		return newError(CodeIncompleteBody, "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.", "")
	}
	return nil
}

// checkAhead refuses a chunk header that announces data past
// x-amz-decoded-content-length: n is what is read but not yet released,
// plus the announced chunk.
func (c *ChunkReader) checkAhead(n int64) error {
	if c.decoded >= 0 && c.released+n > c.decoded {
		return newError(CodeBodyTooLong, "aws-chunked: the body is longer than its x-amz-decoded-content-length.", "")
	}
	return nil
}

// verify reports whether sig is the HMAC of sts under the signing key, in
// constant time.
func (c *ChunkReader) verify(sts, sig string) bool {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(sts))
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], m.Sum(nil))
	return len(sig) == len(want) && hmac.Equal(want[:], []byte(sig))
}

// line reads one CRLF-terminated line (without the CRLF), bounded by
// MaxChunkLine.
func (c *ChunkReader) line() (string, error) {
	b, err := c.src.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", newError(CodeInvalidChunk, "aws-chunked: a chunk header or trailer line is too long.", "")
	}
	if err != nil {
		return "", incomplete()
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return "", newError(CodeInvalidChunk, "aws-chunked: a line does not end with CRLF.", "")
	}
	return string(b[:len(b)-2]), nil
}

func (c *ChunkReader) crlf() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	if l != "" {
		return newError(CodeInvalidChunk, "aws-chunked: chunk data is not followed by CRLF.", "")
	}
	return nil
}

// header reads "hex-size;chunk-signature=sig" (signed) or "hex-size"
// (unsigned).
func (c *ChunkReader) header() (int, string, error) {
	l, err := c.line()
	if err != nil {
		return 0, "", err
	}
	sizeStr, ext, hasExt := strings.Cut(l, ";")
	if sizeStr == "" || len(sizeStr) > 16 {
		return 0, "", newError(CodeInvalidChunk, "aws-chunked: malformed chunk size.", "")
	}
	n, perr := strconv.ParseUint(sizeStr, 16, 64)
	if perr != nil {
		return 0, "", newError(CodeInvalidChunk, "aws-chunked: malformed chunk size.", "")
	}
	if n > MaxChunkSize {
		return 0, "", newError(CodeInvalidChunk, "aws-chunked: a chunk is larger than "+strconv.Itoa(MaxChunkSize)+" bytes.", "")
	}
	if !c.signed() {
		return int(n), "", nil
	}
	sig, ok := strings.CutPrefix(ext, "chunk-signature=")
	if !hasExt || !ok || len(sig) != 2*sha256.Size {
		return 0, "", newError(CodeInvalidChunk, "aws-chunked: a chunk lacks its chunk-signature.", "")
	}
	return int(n), sig, nil
}

// final verifies the final (zero-length) chunk's signature and the trailer.
func (c *ChunkReader) final(sig string) error {
	if c.signed() {
		if !c.verify("AWS4-HMAC-SHA256-PAYLOAD\n"+c.scopeStr+c.prevSig+"\n"+emptySHA256+"\n"+emptySHA256, sig) {
			return newError(CodeSignatureDoesNotMatch, msgSignatureMismatch, "")
		}
		c.prevSig = sig
	}
	if c.mode == StreamingPayload {
		return c.crlf()
	}
	// Trailer lines up to an empty line.
	c.Trailer = http.Header{}
	var canon strings.Builder
	trailerSig := ""
	for i := 0; ; i++ {
		if i > maxTrailerLines {
			return newError(CodeInvalidChunk, "aws-chunked: too many trailer lines.", "")
		}
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return newError(CodeInvalidChunk, "aws-chunked: malformed trailer line.", "")
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig = value
			continue
		}
		if !containsString(c.trailers, name) || c.Trailer.Get(name) != "" {
			return newError(CodeInvalidChunk, "aws-chunked: trailer '"+truncateName(name)+"' was not announced in x-amz-trailer.", "")
		}
		c.Trailer.Set(name, value)
		canon.WriteString(name + ":" + value + "\n")
	}
	for _, t := range c.trailers {
		if c.Trailer.Get(t) == "" {
			return newError(CodeInvalidChunk, "aws-chunked: the announced trailer '"+t+"' is missing.", "")
		}
	}
	if c.mode == StreamingPayloadTrailer {
		sum := sha256.Sum256([]byte(canon.String()))
		if !c.verify("AWS4-HMAC-SHA256-TRAILER\n"+c.scopeStr+c.prevSig+"\n"+hex.EncodeToString(sum[:]), trailerSig) {
			return newError(CodeSignatureDoesNotMatch, msgSignatureMismatch, "")
		}
	}
	if c.sum != nil {
		got := base64.StdEncoding.EncodeToString(c.sum.Sum(nil))
		if want := c.Trailer.Get(c.sumName); !hmac.Equal([]byte(got), []byte(want)) {
			return newError(CodeBadDigest, "The "+checksumLabel(c.sumName)+" you specified did not match the calculated checksum.", "")
		}
	}
	return nil
}

func checksumLabel(name string) string {
	return strings.ToUpper(strings.TrimPrefix(name, "x-amz-checksum-"))
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncateName(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// VerifyStreaming authenticates an aws-chunked request (x-amz-content-sha256
// is one of the STREAMING-* values) and returns the reader of its decoded,
// verified body. The header signature is checked before it returns; each
// chunk is checked as the reader is read.
func (v *Verifier) VerifyStreaming(ctx context.Context, r *http.Request, service string) (*Result, *ChunkReader, error) {
	mode := firstHeader(r.Header, "X-Amz-Content-Sha256")
	switch mode {
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
	default:
		return nil, nil, newError(CodeInvalidChunk, "Unsupported x-amz-content-sha256 value for aws-chunked: '"+truncateName(mode)+"'.", "")
	}
	var key [sha256.Size]byte
	res, err := v.verify(ctx, r, service, nil, true, &key)
	if err != nil {
		return nil, nil, err
	}
	if res.Presigned {
		return nil, nil, newError(CodeInvalidChunk, "aws-chunked bodies cannot be sent with a presigned URL.", res.AccessKeyID)
	}
	p := ChunkParams{
		Mode: mode, AmzDate: formatAmzDate(res.SigningTime), Region: res.Region, Service: service,
		SeedSignature: res.Signature, DecodedLength: -1, Trailer: r.Header.Values("X-Amz-Trailer"),
	}
	if d := firstHeader(r.Header, "X-Amz-Decoded-Content-Length"); d != "" {
		n, perr := strconv.ParseInt(d, 10, 64)
		if perr != nil || n < 0 {
			return nil, nil, newError(CodeInvalidChunk, "x-amz-decoded-content-length must be a non-negative integer.", res.AccessKeyID)
		}
		p.DecodedLength = n
	} else {
		return nil, nil, newError(CodeInvalidChunk, "aws-chunked bodies require the x-amz-decoded-content-length header.", res.AccessKeyID)
	}
	if mode != StreamingUnsignedPayloadTrailer {
		p.SigningKey = key[:]
	}
	cr, err := NewChunkReader(r.Body, p)
	if err != nil {
		return nil, nil, err
	}
	return res, cr, nil
}
