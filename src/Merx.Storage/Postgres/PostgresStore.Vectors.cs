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

    public int SetItemImages(string encoderId, IReadOnlyDictionary<string, string> images)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        ArgumentNullException.ThrowIfNull(images);
        ItemVectorValidation.CheckImages(images);
        if (images.Count == 0) return 0;
        using var c = Connect();
        using var tx = c.BeginTransaction();
        var ids = images.Keys.ToArray();
        var updated = Exec(c, tx, """
            UPDATE items SET image_encoder = $1, image_hash = t.hash
            FROM unnest($2::text[], $3::text[]) AS t(id, hash)
            WHERE items.ext_id = t.id AND items.cataloged = 1
            """, encoderId, ids, ids.Select(i => images[i]).ToArray());
        if (updated != images.Count)
        {
            // Some id is not a catalog item: roll back (the transaction is disposed uncommitted) and name one.
            tx.Rollback();
            var known = new HashSet<string>(StringComparer.Ordinal);
            using (var cmd = new NpgsqlCommand("SELECT ext_id FROM items WHERE ext_id = ANY($1) AND cataloged = 1", c))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = ids });
                using var r = cmd.ExecuteReader();
                while (r.Read()) known.Add(r.GetString(0));
            }
            var missing = ids.FirstOrDefault(i => !known.Contains(i)) ?? ids[0];
            throw new ArgumentException($"no catalog item '{missing}' to link an image to; nothing from this batch was written", nameof(images));
        }
        Notify(c, tx, new StoreChange(StoreChangeKind.Catalog));
        tx.Commit();
        return images.Count;
    }

    public bool RemoveItemImage(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        var removed = Exec(c, tx, "UPDATE items SET image_encoder = NULL, image_hash = NULL WHERE ext_id = $1 AND image_hash IS NOT NULL", itemId) == 1;
        if (removed) Notify(c, tx, new StoreChange(StoreChangeKind.Catalog));
        tx.Commit();
        return removed;
    }

    public IReadOnlyDictionary<string, string> ReadItemImages(string encoderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        using var c = Connect();
        using var cmd = new NpgsqlCommand("SELECT ext_id, image_hash FROM items WHERE image_encoder = $1 AND image_hash IS NOT NULL AND cataloged = 1", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = encoderId });
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = r.GetString(1);
        return map;
    }
}
