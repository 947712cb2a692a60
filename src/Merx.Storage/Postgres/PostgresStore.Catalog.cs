using Merx.Core.Domain;
using Npgsql;

namespace Merx.Storage.Postgres;

public sealed partial class PostgresStore
{
    public int UpsertItems(IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO items(ext_id, title, description, category_path, brand, shop, price, tags, attributes, created_at, in_stock, cataloged)
            VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)
            ON CONFLICT(ext_id) DO UPDATE SET cataloged = 1, title = excluded.title, description = excluded.description,
                category_path = excluded.category_path, brand = excluded.brand, shop = excluded.shop, price = excluded.price,
                tags = excluded.tags, attributes = excluded.attributes, created_at = excluded.created_at, in_stock = excluded.in_stock
            """, c, tx);
        var p = new NpgsqlParameter[11];
        for (var i = 0; i < p.Length; i++) cmd.Parameters.Add(p[i] = new NpgsqlParameter());
        var n = 0;
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item);
            if (string.IsNullOrEmpty(item.Id)) throw new ArgumentException($"item #{n} has no id; nothing from this batch was written", nameof(items));
            if (item.Price is { } price && !double.IsFinite(price)) throw new ArgumentException($"item #{n} ('{item.Id}') has a non-finite price; nothing from this batch was written", nameof(items));
            StoreJson.BindItem(p, item);
            cmd.ExecuteNonQuery();
            n++;
        }
        tx.Commit();
        return n;
    }

    public bool SetInStock(string itemId, bool inStock)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        using var c = Connect();
        return Exec(c, null, "UPDATE items SET in_stock = $1 WHERE ext_id = $2 AND cataloged = 1", inStock ? 1 : 0, itemId) == 1;
    }

    public bool DeleteItem(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        using var c = Connect();
        return Exec(c, null, """
            UPDATE items SET cataloged = 0, title = NULL, description = NULL, category_path = NULL, brand = NULL, shop = NULL,
                price = NULL, tags = NULL, attributes = NULL, created_at = NULL, in_stock = 1
            WHERE ext_id = $1 AND cataloged = 1
            """, itemId) == 1;
    }

    public Item? GetItem(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var c = Connect();
        using var cmd = Command(c, null, $"SELECT {ItemColumns} FROM items WHERE ext_id = $1 AND cataloged = 1", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StoreJson.ReadItem(r, 0) : null;
    }

    public IReadOnlyList<(string Id, Item? Item)> ReadItems()
    {
        using var c = Connect();
        using var cmd = Command(c, null, $"SELECT cataloged, {ItemColumns} FROM items ORDER BY id");
        cmd.CommandTimeout = 0;
        using var r = cmd.ExecuteReader();
        var result = new List<(string, Item?)>();
        while (r.Read()) result.Add((r.GetString(1), r.GetInt16(0) != 0 ? StoreJson.ReadItem(r, 1) : null));
        return result;
    }

    public int UpsertUsers(IEnumerable<UserProfile> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        using var c = Connect();
        using var tx = c.BeginTransaction();
        using var cmd = Command(c, tx, "INSERT INTO users(ext_id, attributes) VALUES($1, $2) ON CONFLICT(ext_id) DO UPDATE SET attributes = excluded.attributes", "", "");
        var n = 0;
        foreach (var user in users)
        {
            ArgumentNullException.ThrowIfNull(user);
            if (string.IsNullOrEmpty(user.Id)) throw new ArgumentException($"user #{n} has no id; nothing from this batch was written", nameof(users));
            cmd.Parameters[0].Value = user.Id;
            cmd.Parameters[1].Value = StoreJson.Attributes(user.Attributes) ?? "{}";
            cmd.ExecuteNonQuery();
            n++;
        }
        tx.Commit();
        return n;
    }
}
