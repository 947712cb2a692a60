using System.Security.Cryptography;

namespace Merx.Storage;

/// <summary>
/// How a registry keeps a model payload larger than one blob holds (1 GB in SQLite and PostgreSQL; a 10M-item
/// Transformer's payload is 3.2 GB): a payload of at most <see cref="ChunkBytes"/> stays in the version's row as before;
/// a larger one goes to numbered chunk rows of <see cref="ChunkBytes"/> each (the last shorter), written in the same
/// transaction as the version, so a version never exists without all of its bytes.
/// </summary>
public static class ModelChunks
{
    /// <summary>Bytes per chunk row (64 MB); tests lower it to exercise chunking with small payloads.</summary>
    public static int ChunkBytes { get; internal set; } = 64 << 20;
}

/// <summary>
/// The write side: a stream that buffers one chunk (growing to <see cref="ModelChunks.ChunkBytes"/>, so a small payload
/// never costs a whole chunk's buffer), hands each chunk to <c>writeChunk(seq, bytes)</c> (an array of exactly the
/// chunk's bytes, reused afterwards) and keeps the SHA-256 and length of everything written. <see cref="Complete"/>
/// flushes the rest.
/// </summary>
internal sealed class ModelChunkWriter(Action<int, byte[]> writeChunk) : Stream
{
    private readonly int _chunkBytes = ModelChunks.ChunkBytes;
    private byte[] _buffer = new byte[Math.Min(ModelChunks.ChunkBytes, 1 << 16)];
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _filled;
    private int _chunks;
    private long _length;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _sha.AppendData(buffer);
        _length += buffer.Length;
        while (!buffer.IsEmpty)
        {
            if (_filled == _buffer.Length && _buffer.Length < _chunkBytes)
                Array.Resize(ref _buffer, (int)Math.Min(_chunkBytes, 2L * _buffer.Length));
            else if (_filled == _buffer.Length) { writeChunk(_chunks++, _buffer); _filled = 0; }
            var n = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>
    /// Ends the payload: its SHA-256 (hex), length and chunk count; a payload that fits one chunk is not written as a chunk
    /// but returned in <c>Inline</c> (chunk count 0), for the version's own row.
    /// </summary>
    public (string Sha256, long Length, int Chunks, byte[]? Inline) Complete()
    {
        var sha = Convert.ToHexStringLower(_sha.GetCurrentHash());
        if (_chunks == 0) return (sha, _length, 0, _buffer.AsSpan(0, _filled).ToArray());
        if (_filled > 0) writeChunk(_chunks++, _buffer.AsSpan(0, _filled).ToArray());
        _filled = 0;
        return (sha, _length, _chunks, null);
    }

    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// The read side: a stream over a chunked payload that fetches one chunk at a time (<c>readChunk(seq)</c>) and checks the
/// SHA-256 and length the moment the last byte is read: a corrupt or incomplete payload throws
/// <see cref="InvalidDataException"/> instead of ending.
/// </summary>
internal sealed class ModelChunkReader(int chunks, long length, string sha256, Func<int, byte[]> readChunk, long version, string where) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _chunk = [];
    private int _at;
    private int _next;
    private long _read;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (_at == _chunk.Length)
        {
            if (_next == chunks)
            {
                if (_read != length) throw new InvalidDataException($"model version {version} in {where} is corrupt: {_read:N0} bytes in its chunks, expected {length:N0}");
                return 0;
            }
            _chunk = readChunk(_next++);
            _at = 0;
        }
        var n = Math.Min(buffer.Length, _chunk.Length - _at);
        _chunk.AsSpan(_at, n).CopyTo(buffer);
        _sha.AppendData(buffer[..n]);
        _at += n;
        _read += n;
        if (_read > length) throw new InvalidDataException($"model version {version} in {where} is corrupt: more bytes in its chunks than its {length:N0}");
        if (_read == length && _next == chunks && _at == _chunk.Length)
        {
            var actual = Convert.ToHexStringLower(_sha.GetCurrentHash());
            if (actual != sha256) throw new InvalidDataException($"model version {version} in {where} is corrupt: SHA-256 {actual}, expected {sha256}");
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanWrite => false;
    public override bool CanSeek => false;
    public override long Length => length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha.Dispose();
        base.Dispose(disposing);
    }
}
