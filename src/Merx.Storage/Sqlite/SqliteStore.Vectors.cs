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

    private int? StoredDimension(string encoderId)
    {
        using var cmd = Command("SELECT length(vector) / 4 FROM item_vectors WHERE encoder = $e LIMIT 1");
        cmd.Parameters.AddWithValue("$e", encoderId);
        return cmd.ExecuteScalar() is long n ? (int)n : null;
    }
}
