using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;

namespace Merx.Storage.Postgres;

/// <summary>Pre-trained item vectors by encoder and content hash (issue #19), as raw little-endian float32 bytes like SQLite's.</summary>
public sealed partial class PostgresStore
{
    public IReadOnlyDictionary<string, float[]> ReadItemVectors(string encoderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        using var c = Connect();
        using var cmd = new NpgsqlCommand("SELECT content_hash, vector FROM item_vectors WHERE encoder = $1", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = encoderId });
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = MemoryMarshal.Cast<byte, float>((byte[])r.GetValue(1)).ToArray();
        return map;
    }

    public int StoreItemVectors(string encoderId, IReadOnlyDictionary<string, float[]> vectors)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        ArgumentNullException.ThrowIfNull(vectors);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        // The dimension check reads inside the writing transaction, after locking the encoder's rows' key space,
        // so two processes cannot store vectors of different lengths for one encoder.
        Exec(c, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 19))", encoderId);
        var stored = Scalar(c, tx, "SELECT length(vector) / 4 FROM item_vectors WHERE encoder = $1 LIMIT 1", encoderId) is int n ? n : (int?)null;
        var dim = ItemVectorValidation.Check(encoderId, vectors, stored);
        if (dim == 0) return 0;
        using var cmd = new NpgsqlCommand(
            "INSERT INTO item_vectors(encoder, content_hash, vector) VALUES($1, $2, $3) ON CONFLICT (encoder, content_hash) DO UPDATE SET vector = excluded.vector", c, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = encoderId });
        var h = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var v = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea };
        cmd.Parameters.Add(h);
        cmd.Parameters.Add(v);
        foreach (var (hash, vector) in vectors)
        {
            h.Value = hash;
            v.Value = MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return vectors.Count;
    }
}
