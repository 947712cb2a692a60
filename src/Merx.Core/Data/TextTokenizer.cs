namespace Merx.Core.Data;

/// <summary>
/// Lower-cased alphanumeric word tokens of length ≥ 2, minus a short English stop list. Shared by
/// the content model, personalized search and the Transformer's text side information so all
/// three see the same words.
/// </summary>
public static class TextTokenizer
{
    private static readonly HashSet<string> Stop = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it", "its",
        "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "your", "you",
    };

    public static IEnumerable<string> Tokens(string? text)
    {
        if (string.IsNullOrEmpty(text)) yield break;
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWord && start < 0) start = i;
            else if (!isWord && start >= 0)
            {
                if (i - start >= 2)
                {
                    var tok = text.Substring(start, i - start).ToLowerInvariant();
                    if (!Stop.Contains(tok)) yield return tok;
                }
                start = -1;
            }
        }
    }
}
