using System.Security.Cryptography;
using System.Text;
using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// The text a pre-trained encoder reads for an item, and the content hash that decides whether a
/// stored vector is still valid. The text is the title, description, category path, brand, tags
/// and free attributes in a fixed order. An item with neither a title nor a description has no text
/// (null) and gets no vector: its other fields alone are often ids rather than words (Beauty's
/// anonymized attribute ids, Taobao's category numbers), and nothing is invented for it.
/// </summary>
public static class ItemText
{
    /// <summary>"Title. Description. Category: A > B. Brand: X. Tags: t1, t2. key: value; …", or null when the item carries no text.</summary>
    public static string? Of(Item item)
    {
        if (string.IsNullOrWhiteSpace(item.Title) && string.IsNullOrWhiteSpace(item.Description)) return null;
        var sb = new StringBuilder();
        void Part(string? s)
        {
            if (string.IsNullOrWhiteSpace(s)) return;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(s.Trim());
            if (sb[^1] is not ('.' or '!' or '?')) sb.Append('.');
        }
        Part(item.Title);
        Part(item.Description);
        var path = item.CategoryPath.Where(c => !string.IsNullOrWhiteSpace(c)).ToArray();
        if (path.Length > 0) Part("Category: " + string.Join(" > ", path));
        if (!string.IsNullOrWhiteSpace(item.Brand)) Part("Brand: " + item.Brand);
        var tags = item.Tags.Where(t => !string.IsNullOrWhiteSpace(t)).ToArray();
        if (tags.Length > 0) Part("Tags: " + string.Join(", ", tags));
        var attributes = item.Attributes.Where(kv => !string.IsNullOrWhiteSpace(kv.Value)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        if (attributes.Length > 0) Part(string.Join("; ", attributes.Select(kv => kv.Key + ": " + kv.Value)));
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <summary>
    /// 32 hex digits of SHA-256 over the encoder's id and the item's text: the key a stored vector is
    /// valid for. A changed title, or a different encoder, gives a different hash; null without text.
    /// </summary>
    public static string? Hash(Item item, string encoderId) => Of(item) is { } text ? Hash(text, encoderId) : null;

    /// <summary>The content hash of an already composed text.</summary>
    public static string Hash(string text, string encoderId)
    {
        var bytes = Encoding.UTF8.GetBytes(encoderId + "\n" + text);
        return Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16));
    }
}
