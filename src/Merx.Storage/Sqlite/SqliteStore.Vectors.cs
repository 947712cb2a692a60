using System.Runtime.InteropServices;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public IReadOnlyDictionary<string, float[]> ReadItemVectors(string encoderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        lock (_gate)
        {
            using var cmd = Command("SELECT content_hash, vector FROM item_vectors WHERE encoder = $e");
            cmd.Parameters.AddWithValue("$e", encoderId);
            using var r = cmd.ExecuteReader();
            var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
            while (r.Read())
            {
                var bytes = (byte[])r.GetValue(1);
                map[r.GetString(0)] = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            }
            return map;
        }
    }

    public int StoreItemVectors(string encoderId, IReadOnlyDictionary<string, float[]> vectors)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        ArgumentNullException.ThrowIfNull(vectors);
        lock (_gate)
        {
            var dim = ItemVectorValidation.Check(encoderId, vectors, StoredDimension(encoderId));
            if (dim == 0) return 0;
            using var tx = BeginWrite();
            using var cmd = Command("INSERT OR REPLACE INTO item_vectors(encoder, content_hash, vector) VALUES($e, $h, $v)", tx);
            cmd.Parameters.AddWithValue("$e", encoderId);
            var h = cmd.Parameters.Add("$h", Microsoft.Data.Sqlite.SqliteType.Text);
            var v = cmd.Parameters.Add("$v", Microsoft.Data.Sqlite.SqliteType.Blob);
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

    public int SetItemImages(string encoderId, IReadOnlyDictionary<string, string> images)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        ArgumentNullException.ThrowIfNull(images);
        ItemVectorValidation.CheckImages(images);
        if (images.Count == 0) return 0;
        lock (_gate)
        {
            using var tx = BeginWrite();
            using var cmd = Command("UPDATE items SET image_encoder = $e, image_hash = $h WHERE ext_id = $id AND cataloged = 1", tx);
            cmd.Parameters.AddWithValue("$e", encoderId);
            var h = cmd.Parameters.Add("$h", Microsoft.Data.Sqlite.SqliteType.Text);
            var id = cmd.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var (item, hash) in images)
            {
                (id.Value, h.Value) = (item, hash);
                // Not a catalog item: the transaction is left uncommitted, so nothing of the batch is written.
                if (cmd.ExecuteNonQuery() != 1) throw new ArgumentException($"no catalog item '{item}' to link an image to; nothing from this batch was written", nameof(images));
            }
            tx.Commit();
            return images.Count;
        }
    }

    public bool RemoveItemImage(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        lock (_gate)
            return NonQuery("UPDATE items SET image_encoder = NULL, image_hash = NULL WHERE ext_id = $id AND image_hash IS NOT NULL", null, ("$id", itemId)) == 1;
    }

    public IReadOnlyDictionary<string, string> ReadItemImages(string encoderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderId);
        lock (_gate)
        {
            using var cmd = Command("SELECT ext_id, image_hash FROM items WHERE image_encoder = $e AND image_hash IS NOT NULL AND cataloged = 1");
            cmd.Parameters.AddWithValue("$e", encoderId);
            using var r = cmd.ExecuteReader();
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            while (r.Read()) map[r.GetString(0)] = r.GetString(1);
            return map;
        }
    }

    private int? StoredDimension(string encoderId)
    {
        using var cmd = Command("SELECT length(vector) / 4 FROM item_vectors WHERE encoder = $e LIMIT 1");
        cmd.Parameters.AddWithValue("$e", encoderId);
        return cmd.ExecuteScalar() is long n ? (int)n : null;
    }
}
