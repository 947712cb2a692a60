using System.Security.Cryptography;

namespace Merx.Core.Contracts;

/// <summary>
/// A pass-through stream that keeps the SHA-256 and the count of every byte written through it or read through it,
/// reading at most <see cref="Limit"/> bytes from the inner stream (so a reader buffering ahead never passes the end of
/// a payload embedded in a larger stream). Used by <see cref="ModelFile"/> to hash payloads too large to hold in memory.
/// With <paramref name="countOnly"/> it only counts (<see cref="Hash"/> is then unavailable).
/// </summary>
public sealed class HashingStream(Stream inner, long limit = long.MaxValue, bool countOnly = false) : Stream
{
    private readonly IncrementalHash? _sha = countOnly ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes written or read so far.</summary>
    public long Count { get; private set; }
    /// <summary>The most bytes this stream reads from the inner one.</summary>
    public long Limit { get; } = limit;

    /// <summary>The SHA-256 of the bytes so far (the stream can go on).</summary>
    public byte[] Hash() => (_sha ?? throw new InvalidOperationException("this stream only counts")).GetCurrentHash();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var left = Limit - Count;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        var n = inner.Read(buffer);
        _sha?.AppendData(buffer[..n]);
        Count += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _sha?.AppendData(buffer);
        Count += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sha?.Dispose();
        base.Dispose(disposing);
    }
}
