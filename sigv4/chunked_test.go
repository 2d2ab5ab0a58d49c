package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The examples of AWS's S3 documentation, "Signature calculations for the
// Authorization header: Transferring payload in multiple chunks" and
// "… including trailing headers": 65,536 + 1,024 bytes of 'a' signed with
// the documentation's example key on 2013-05-24.
const (
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docKeyID  = "AKIAIOSFODNN7EXAMPLE"
)

var (
	docChunkTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	docPlain     = struct {
		seed string
		sigs [3]string
	}{"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}}
	docTrailer = struct {
		seed, trailerSig string
		sigs             [3]string
	}{"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e", "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435", [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}}
)

type docSource struct{}

func (docSource) Credential(_ context.Context, id, _ string) (Credential, error) {
	if id != docKeyID {
		return Credential{}, newError(CodeInvalidClientTokenID, msgInvalidClientToken, id)
	}
	return Credential{SecretAccessKey: docSecret, Principal: "doc"}, nil
}

func docChunkedBody(sigs [3]string, trailer string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "10000;chunk-signature=%s\r\n%s\r\n", sigs[0], strings.Repeat("a", 65536))
	fmt.Fprintf(&b, "400;chunk-signature=%s\r\n%s\r\n", sigs[1], strings.Repeat("a", 1024))
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", sigs[2])
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}

func docChunkedRequest(t *testing.T, withTrailer bool, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	signed, seed := "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class", docPlain.seed
	r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
	if withTrailer {
		signed, seed = "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer", docTrailer.seed
		r.Header.Set("X-Amz-Content-Sha256", StreamingPayloadTrailer)
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docKeyID+"/20130524/us-east-1/s3/aws4_request,SignedHeaders="+signed+",Signature="+seed)
	return r
}

func docVerifier() *Verifier {
	return &Verifier{Credentials: docSource{}, S3: true, Now: func() time.Time { return docChunkTime }}
}

func TestChunkReaderDocExamples(t *testing.T) {
	want := strings.Repeat("a", 66560)
	for _, tc := range []struct {
		name    string
		trailer bool
		body    []byte
	}{
		{"signed chunks", false, docChunkedBody(docPlain.sigs, "")},
		{"signed chunks and trailer", true, docChunkedBody(docTrailer.sigs, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"+docTrailer.trailerSig+"\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.trailer && len(tc.body) != 66824 {
				t.Fatalf("encoded length = %d, the documentation says 66824", len(tc.body))
			}
			r := docChunkedRequest(t, tc.trailer, tc.body)
			_, cr, err := docVerifier().VerifyStreaming(context.Background(), r, "s3")
			if err != nil {
				t.Fatalf("VerifyStreaming: %v", err)
			}
			got, err := io.ReadAll(cr)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if string(got) != want {
				t.Fatalf("decoded %d bytes, want 66560 'a'", len(got))
			}
			if tc.trailer && cr.Trailer.Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
				t.Errorf("Trailer = %v", cr.Trailer)
			}
		})
	}
}

// TestChunkReaderHoldsBack checks that nothing of a chunk is released before
// its signature verified, and that the last data chunk is held back until
// the final chunk verified: a reader stopping at the error never has the
// whole body.
func TestChunkReaderHoldsBack(t *testing.T) {
	for i := range 3 {
		t.Run(fmt.Sprintf("bad signature of chunk %d", i), func(t *testing.T) {
			sigs := docPlain.sigs
			sigs[i] = strings.Repeat("0", 64)
			r := docChunkedRequest(t, false, docChunkedBody(sigs, ""))
			_, cr, err := docVerifier().VerifyStreaming(context.Background(), r, "s3")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(cr)
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeSignatureDoesNotMatch {
				t.Fatalf("err = %v, want SignatureDoesNotMatch", err)
			}
			if len(got) >= 66560 {
				t.Fatalf("released %d bytes: the whole body", len(got))
			}
			if i == 0 && len(got) != 0 {
				t.Fatalf("released %d bytes of an unverified first chunk", len(got))
			}
			if _, again := cr.Read(make([]byte, 1)); again != err {
				t.Errorf("read after the error = %v, want the same error", again)
			}
		})
	}
	t.Run("tampered data", func(t *testing.T) {
		body := docChunkedBody(docPlain.sigs, "")
		body[100] = 'b'
		r := docChunkedRequest(t, false, body)
		_, cr, _ := docVerifier().VerifyStreaming(context.Background(), r, "s3")
		got, err := io.ReadAll(cr)
		if err == nil || len(got) != 0 {
			t.Fatalf("got %d bytes, err %v; want nothing and an error", len(got), err)
		}
	})
	t.Run("bad trailer signature", func(t *testing.T) {
		r := docChunkedRequest(t, true, docChunkedBody(docTrailer.sigs, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"+strings.Repeat("1", 64)+"\r\n"))
		_, cr, _ := docVerifier().VerifyStreaming(context.Background(), r, "s3")
		got, err := io.ReadAll(cr)
		if err == nil || len(got) >= 66560 {
			t.Fatalf("got %d bytes, err %v", len(got), err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		body := docChunkedBody(docPlain.sigs, "")
		r := docChunkedRequest(t, false, body[:len(body)-90])
		r.ContentLength = int64(len(body)) // as declared; the stream ends early
		_, cr, err := docVerifier().VerifyStreaming(context.Background(), r, "s3")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(cr)
		if err == nil || len(got) >= 66560 {
			t.Fatalf("got %d bytes, err %v", len(got), err)
		}
	})
	t.Run("decoded length mismatch", func(t *testing.T) {
		r := docChunkedRequest(t, false, docChunkedBody(docPlain.sigs, ""))
		r.Header.Set("X-Amz-Decoded-Content-Length", "66559")
		// The header is signed: the seed signature fails first.
		if _, _, err := docVerifier().VerifyStreaming(context.Background(), r, "s3"); err == nil {
			t.Fatal("a changed signed header verified")
		}
	})
}

func TestChunkReaderUnsignedTrailer(t *testing.T) {
	body := "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"
	cr, err := NewChunkReader(strings.NewReader(body), ChunkParams{Mode: StreamingUnsignedPayloadTrailer, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", DecodedLength: 3, Trailer: []string{"x-amz-checksum-crc32"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(cr)
	if err != nil || string(got) != "abc" {
		t.Fatalf("got %q, %v", got, err)
	}
	bad := strings.Replace(body, "NSRBwg==", "AAAAAA==", 1)
	cr, _ = NewChunkReader(strings.NewReader(bad), ChunkParams{Mode: StreamingUnsignedPayloadTrailer, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", DecodedLength: 3, Trailer: []string{"x-amz-checksum-crc32"}})
	got, err = io.ReadAll(cr)
	var se *Error
	if !errors.As(err, &se) || se.Code != CodeBadDigest || len(got) != 0 {
		t.Fatalf("got %q, %v; want nothing and BadDigest", got, err)
	}
}

func FuzzChunkReader(f *testing.F) {
	f.Add(docChunkedBody(docPlain.sigs, ""))
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"))
	f.Add([]byte("ffffffffffffffff;chunk-signature=x\r\n"))
	key := SigningKey(docSecret, "20130524", "us-east-1", "s3")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mode := range []string{StreamingPayload, StreamingUnsignedPayloadTrailer} {
			p := ChunkParams{Mode: mode, SigningKey: key, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", SeedSignature: docPlain.seed, DecodedLength: 66560}
			if mode == StreamingUnsignedPayloadTrailer {
				p.Trailer, p.DecodedLength = []string{"x-amz-checksum-crc32"}, -1
			}
			cr, err := NewChunkReader(bytes.NewReader(body), p)
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, cr)
			if n > int64(len(body)) {
				t.Fatalf("decoded %d bytes from %d", n, len(body))
			}
			if err == nil && mode == StreamingPayload && n != 66560 {
				t.Fatalf("verified a body of %d bytes, declared 66560", n)
			}
		}
	})
}

type countingSource struct {
	CredentialSource
	n int
}

func (c *countingSource) Credential(ctx context.Context, id, token string) (Credential, error) {
	c.n++
	return c.CredentialSource.Credential(ctx, id, token)
}

// TestVerifyStreamingOneLookup checks that the chunk signatures are chained
// from the signing key the header check derived: the credential source
// (a store read, a token open) is asked once.
func TestVerifyStreamingOneLookup(t *testing.T) {
	src := &countingSource{CredentialSource: docSource{}}
	v := docVerifier()
	v.Credentials = src
	_, cr, err := v.VerifyStreaming(context.Background(), docChunkedRequest(t, false, docChunkedBody(docPlain.sigs, "")), "s3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		t.Fatal(err)
	}
	if src.n != 1 {
		t.Errorf("the credential source was asked %d times, want 1", src.n)
	}
}

// TestChunkReaderLimits crosses each bound of the framing: a chunk larger
// than MaxChunkSize is refused from its header, before any of it is read
// or buffered; a header or trailer line longer than MaxChunkLine, and more
// than maxTrailerLines trailer lines, are refused too.
func TestChunkReaderLimits(t *testing.T) {
	const sum = "x-amz-checksum-crc32:NSRBwg==\r\n"                       // crc32 of "abc"
	line := func(n int) string { return "3;" + strings.Repeat("x", n-2) } // chunk extensions are ignored unsigned
	for _, tc := range []struct {
		name, body, want string
	}{
		{"chunk of MaxChunkSize+1", fmt.Sprintf("%x\r\n", MaxChunkSize+1), "larger than"},
		{"chunk size of 17 hex digits", "00000000000000003\r\nabc\r\n0\r\n" + sum + "\r\n", "malformed chunk size"},
		{"header line of MaxChunkLine+1", line(MaxChunkLine+1) + "\r\nabc\r\n0\r\n" + sum + "\r\n", "too long"},
		{"trailer line of MaxChunkLine+1", "3\r\nabc\r\n0\r\n" + sum + "x-amz-trailer-signature:" + strings.Repeat("0", MaxChunkLine) + "\r\n\r\n", "too long"},
		{"maxTrailerLines+1 trailer lines", "3\r\nabc\r\n0\r\n" + sum + strings.Repeat("x-amz-trailer-signature:0\r\n", maxTrailerLines) + "\r\n", "too many trailer lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{r: strings.NewReader(tc.body)}
			cr, err := NewChunkReader(src, ChunkParams{Mode: StreamingUnsignedPayloadTrailer, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", DecodedLength: -1, Trailer: []string{"x-amz-checksum-crc32"}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(cr)
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeInvalidChunk || !strings.Contains(se.Message, tc.want) || len(got) != 0 {
				t.Fatalf("got %q, %v; want nothing and InvalidRequest %q", got, err, tc.want)
			}
			if src.n > int64(MaxChunkLine+2)*2 && !strings.Contains(tc.name, "trailer") {
				t.Errorf("read %d bytes of the body before refusing it", src.n)
			}
		})
	}
	// At the bounds themselves the body is accepted.
	for name, body := range map[string]string{
		"header line of MaxChunkLine":   line(MaxChunkLine) + "\r\nabc\r\n0\r\n" + sum + "\r\n",
		"maxTrailerLines trailer lines": "3\r\nabc\r\n0\r\n" + sum + strings.Repeat("x-amz-trailer-signature:0\r\n", maxTrailerLines-1) + "\r\n",
	} {
		cr, _ := NewChunkReader(strings.NewReader(body), ChunkParams{Mode: StreamingUnsignedPayloadTrailer, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", DecodedLength: 3, Trailer: []string{"x-amz-checksum-crc32"}})
		if got, err := io.ReadAll(cr); err != nil || string(got) != "abc" {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A chunk header announcing more than x-amz-decoded-content-length leaves
// is refused before its data is read.
func TestChunkReaderLongerThanDeclared(t *testing.T) {
	data := strings.Repeat("x", 1<<20)
	body := strings.NewReader("100000\r\n" + data + "\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
	cr, err := NewChunkReader(body, ChunkParams{Mode: StreamingUnsignedPayloadTrailer, AmzDate: "20130524T000000Z", Region: "us-east-1", Service: "s3", DecodedLength: 1024, Trailer: []string{"x-amz-checksum-crc32"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(cr)
	se, ok := err.(*Error)
	if !ok || se.Code != CodeBodyTooLong || se.HTTPStatus() != 400 || len(got) != 0 {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if left := body.Len(); left < len(data)-MaxChunkLine-2 {
		t.Errorf("the reader took in %d bytes of the chunk's data", len(data)-left)
	}
}
