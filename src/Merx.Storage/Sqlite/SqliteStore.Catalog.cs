using Merx.Core.Domain;
using Microsoft.Data.Sqlite;

namespace Merx.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string ItemColumns = "ext_id, title, description, category_path, brand, shop, price, tags, attributes, created_at, in_stock";
    /// <summary><see cref="ItemColumns"/> with NULL for the title and description (<see cref="LoadDataset"/> without item text).</summary>
    private const string ItemColumnsWithoutText = "ext_id, NULL, NULL, category_path, brand, shop, price, tags, attributes, created_at, in_stock";

    public int UpsertItems(IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_gate)
        {
            using var tx = BeginWrite();
            using var cmd = Command($"""
                INSERT INTO items({ItemColumns}, cataloged) VALUES($id, $title, $desc, $cat, $brand, $shop, $price, $tags, $attrs, $created, $stock, 1)
                ON CONFLICT(ext_id) DO UPDATE SET cataloged = 1, title = excluded.title, description = excluded.description,
                    category_path = excluded.category_path, brand = excluded.brand, shop = excluded.shop, price = excluded.price,
                    tags = excluded.tags, attributes = excluded.attributes, created_at = excluded.created_at, in_stock = excluded.in_stock
                RETURNING id
                """, tx);
            var p = AddParameters(cmd, "$id", "$title", "$desc", "$cat", "$brand", "$shop", "$price", "$tags", "$attrs", "$created", "$stock");
            var written = new List<(string Id, long Key)>();
            try
            {
                var n = 0;
                foreach (var item in items)
                {
                    ArgumentNullException.ThrowIfNull(item);
                    if (string.IsNullOrEmpty(item.Id)) throw new ArgumentException($"item #{n} has no id; nothing from this batch was written", nameof(items));
                    if (item.Price is { } price && !double.IsFinite(price)) throw new ArgumentException($"item #{n} ('{item.Id}') has a non-finite price; nothing from this batch was written", nameof(items));
                    StoreJson.BindItem(p, item);
                    written.Add((item.Id, Convert.ToInt64(cmd.ExecuteScalar())));
                    n++;
                }
                tx.Commit();
                foreach (var (id, key) in written) _items.Remember(id, key);
                return n;
            }
            catch
            {
                CacheCouldBeWrong();
                throw;
            }
        }
    }

    public bool SetInStock(string itemId, bool inStock)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        lock (_gate)
            return NonQuery("UPDATE items SET in_stock = $s WHERE ext_id = $id AND cataloged = 1", null, ("$s", inStock), ("$id", itemId)) == 1;
    }

    public bool DeleteItem(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        lock (_gate)
            return NonQuery("""
                UPDATE items SET cataloged = 0, title = NULL, description = NULL, category_path = NULL, brand = NULL, shop = NULL,
                    price = NULL, tags = NULL, attributes = NULL, created_at = NULL, in_stock = 1,
                    image_encoder = NULL, image_hash = NULL
                WHERE ext_id = $id AND cataloged = 1
                """, null, ("$id", itemId)) == 1;
    }

    public Item? GetItem(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            using var cmd = Command($"SELECT {ItemColumns} FROM items WHERE ext_id = $id AND cataloged = 1");
            cmd.Parameters.AddWithValue("$id", id);
            using var r = cmd.ExecuteReader();
            return r.Read() ? StoreJson.ReadItem(r, 0, new CatalogValuePool()) : null;
        }
    }

    public int UpsertUsers(IEnumerable<UserProfile> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        lock (_gate)
        {
            using var tx = BeginWrite();
            using var cmd = Command("""
                INSERT INTO users(ext_id, attributes) VALUES($id, $attrs)
                ON CONFLICT(ext_id) DO UPDATE SET attributes = excluded.attributes
                RETURNING id, COALESCE(last_seq, 0)
                """, tx);
            var p = AddParameters(cmd, "$id", "$attrs");
            var written = new List<(string Id, long Key, long Last)>();
            try
            {
                foreach (var user in users)
                {
                    ArgumentNullException.ThrowIfNull(user);
                    if (string.IsNullOrEmpty(user.Id)) throw new ArgumentException($"user #{written.Count} has no id; nothing from this batch was written", nameof(users));
                    p[0].Value = user.Id;
                    p[1].Value = StoreJson.Attributes(user.Attributes) ?? "{}";
                    using (var r = cmd.ExecuteReader())
                    {
                        r.Read();
                        written.Add((user.Id, r.GetInt64(0), r.GetInt64(1)));
                    }
                }
                tx.Commit();
                foreach (var (id, key, last) in written) _users.Remember(id, key, last);
                return written.Count;
            }
            catch
            {
                CacheCouldBeWrong();
                throw;
            }
        }
    }

    private static SqliteParameter[] AddParameters(SqliteCommand cmd, params string[] names)
    {
        var p = new SqliteParameter[names.Length];
        for (var i = 0; i < names.Length; i++) p[i] = cmd.Parameters.Add(names[i], SqliteType.Text);
        return p;
    }
}
