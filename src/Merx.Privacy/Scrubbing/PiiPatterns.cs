using System.Text.RegularExpressions;

namespace Merx.Privacy.Scrubbing;

/// <summary>
/// The detectors, each a source-generated regex for candidates plus, where a checksum exists, the
/// checksum (Luhn for cards, ISO 13616 mod 97 for IBANs), so prices, SKUs, dates and barcodes that
/// merely look numeric are left alone.
/// </summary>
internal static partial class PiiPatterns
{
    [GeneratedRegex(@"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b", RegexOptions.CultureInvariant)]
    internal static partial Regex Email();

    // IBAN: country code, 2 check digits, 11–30 alphanumerics, optionally in groups of 4.
    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", RegexOptions.CultureInvariant)]
    internal static partial Regex Iban();

    // 13–19 digits, optionally in groups separated by single spaces or dashes.
    [GeneratedRegex(@"(?<![\w.,+-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)", RegexOptions.CultureInvariant)]
    internal static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w.]|\.\d)", RegexOptions.CultureInvariant)]
    internal static partial Regex IPv4();

    // International: + country code then digit groups (E.164: at most 15 digits; checked after).
    // National: trunk prefix 0 or an area code in parentheses, or the North American 3-3-4 shape.
    [GeneratedRegex(@"(?<![\w+-])(?:\+\d{1,3}[ .-]?(?:\(0?\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}|\(0?\d{2,5}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|0\d{1,4}(?:[ ./-]\d{2,4}){2,5}|\d{3}[ .-]\d{3}[ .-]\d{4})(?![\w-]|[.,]\d)", RegexOptions.CultureInvariant)]
    internal static partial Regex Phone();

    // "221B Baker Street", "1600 Pennsylvania Avenue NW", "Hauptstraße 5", "12 rue de la Paix".
    [GeneratedRegex(@"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|Way|Place|Terrace|Crescent|Close)\b\.?(?:\s+(?:NW|NE|SW|SE))?|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht|vej|gatan|gata)\s+\d{1,4}[a-z]?\b|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|place|chemin|impasse|allée|via|viale|calle|avenida|rua)\s+(?:(?:de|du|des|la|le|del|di|do|da|d'|l')\s?){0,3}[A-ZÀ-Ý][\w'-]+(?:\s[A-ZÀ-Ý][\w'-]+){0,3}", RegexOptions.CultureInvariant)]
    internal static partial Regex StreetAddress();

    // Honorific + capitalized name(s): "Mr John Smith", "Dr. Jane Doe", "Frau Müller".
    [GeneratedRegex(@"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr\.|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?\s+[A-ZÀ-Ý][a-zà-ÿß'-]+(?:\s+[A-ZÀ-Ý][a-zà-ÿß'-]+)?", RegexOptions.CultureInvariant)]
    internal static partial Regex HonorificName();

    /// <summary>Luhn checksum over the digits of <paramref name="s"/> (separators ignored).</summary>
    internal static bool Luhn(ReadOnlySpan<char> s)
    {
        int sum = 0, n = 0;
        for (var i = s.Length - 1; i >= 0; i--)
        {
            var c = s[i];
            if (c is < '0' or > '9') continue;
            var d = c - '0';
            if ((n++ & 1) == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        return n > 0 && sum % 10 == 0;
    }

    /// <summary>
    /// A card number: 13–19 digits, Luhn-valid, an issuer prefix that cards use (3 Amex/Diners/JCB,
    /// 4 Visa, 5 Mastercard/Maestro, 6 Discover/UnionPay/Maestro, 2 Mastercard 2221–2720), not one
    /// repeated digit.
    /// </summary>
    internal static bool IsCardNumber(ReadOnlySpan<char> s)
    {
        Span<char> d = stackalloc char[19];
        var n = 0;
        foreach (var c in s)
            if (c is >= '0' and <= '9') { if (n == 19) return false; d[n++] = c; }
        if (n < 13) return false;
        var digits = d[..n];
        if (!digits.ContainsAnyExcept(digits[0])) return false;
        var ok = digits[0] switch
        {
            '3' or '4' or '5' or '6' => true,
            '2' => int.Parse(digits[..4]) is >= 2221 and <= 2720,
            _ => false,
        };
        return ok && Luhn(digits);
    }

    /// <summary>ISO 13616: move the first four characters to the end, letters → 10..35, the number mod 97 must be 1.</summary>
    internal static bool IsIban(ReadOnlySpan<char> s)
    {
        Span<char> c = stackalloc char[40];
        var n = 0;
        foreach (var ch in s)
        {
            if (ch == ' ') continue;
            if (n == 34) return false;
            c[n++] = ch;
        }
        if (n < 15) return false;
        var rem = 0;
        for (var k = 0; k < n; k++)
        {
            var ch = c[(k + 4) % n];
            if (ch is >= '0' and <= '9') rem = (rem * 10 + (ch - '0')) % 97;
            else if (ch is >= 'A' and <= 'Z') rem = (rem * 100 + (ch - 'A' + 10)) % 97;
            else return false;
        }
        return rem == 1;
    }

    /// <summary>Digits in a phone candidate: 8–15 for international (E.164), 9–12 for national numbers.</summary>
    internal static bool IsPhone(ReadOnlySpan<char> s)
    {
        var digits = 0;
        foreach (var c in s) if (c is >= '0' and <= '9') digits++;
        return s.Length > 0 && s[0] == '+' ? digits is >= 8 and <= 15 : digits is >= 9 and <= 12;
    }
}
