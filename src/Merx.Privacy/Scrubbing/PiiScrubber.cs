using System.Text;
using System.Text.RegularExpressions;

namespace Merx.Privacy.Scrubbing;

/// <summary>
/// Removes personal data from user and event attributes before they are stored. Two layers:
/// (1) attributes whose key names personal data (name, first_name, surname, full_name, email, phone,
/// mobile, address, street, ip, iban, card_number, …, also as suffixes such as customer_email or
/// billing_address; compared after lower-casing and removing separators) are dropped whole;
/// (2) every other value, and free text, is scanned and matches are replaced by a placeholder
/// (<c>[email]</c>, <c>[phone]</c>, <c>[card]</c>, <c>[iban]</c>, <c>[ip]</c>, <c>[address]</c>,
/// <c>[name]</c>). Cards need a valid Luhn checksum and a card issuer prefix, IBANs a valid mod-97
/// checksum; phones need a + country code, a trunk 0, an area code in parentheses or the 3-3-4 shape,
/// so prices, SKUs, dates, timestamps and barcodes survive. Values under product-code keys (sku, ean,
/// gtin, upc, isbn, barcode, mpn) are not scanned for card numbers. Names in free text are only found
/// after an honorific (Mr, Dr., Frau, …): a bare "John" is indistinguishable from a product name.
/// Stateless and thread-safe.
/// </summary>
public sealed class PiiScrubber
{
    private static readonly (string Key, PiiKind Kind)[] ExactKeys =
    [
        ("name", PiiKind.PersonName), ("firstname", PiiKind.PersonName), ("lastname", PiiKind.PersonName),
        ("surname", PiiKind.PersonName), ("fullname", PiiKind.PersonName), ("givenname", PiiKind.PersonName),
        ("familyname", PiiKind.PersonName), ("middlename", PiiKind.PersonName), ("maidenname", PiiKind.PersonName),
        ("nickname", PiiKind.PersonName), ("displayname", PiiKind.PersonName), ("realname", PiiKind.PersonName),
        ("forename", PiiKind.PersonName), ("vorname", PiiKind.PersonName), ("nachname", PiiKind.PersonName),
        ("nom", PiiKind.PersonName), ("prenom", PiiKind.PersonName), ("prénom", PiiKind.PersonName),
        ("email", PiiKind.Email), ("mail", PiiKind.Email), ("emailaddress", PiiKind.Email), ("email2", PiiKind.Email),
        ("phone", PiiKind.Phone), ("phonenumber", PiiKind.Phone), ("mobile", PiiKind.Phone), ("mobilephone", PiiKind.Phone),
        ("tel", PiiKind.Phone), ("telephone", PiiKind.Phone), ("cell", PiiKind.Phone), ("cellphone", PiiKind.Phone), ("fax", PiiKind.Phone), ("telefon", PiiKind.Phone),
        ("address", PiiKind.StreetAddress), ("street", PiiKind.StreetAddress), ("streetaddress", PiiKind.StreetAddress),
        ("addressline1", PiiKind.StreetAddress), ("addressline2", PiiKind.StreetAddress), ("address1", PiiKind.StreetAddress),
        ("address2", PiiKind.StreetAddress), ("housenumber", PiiKind.StreetAddress), ("adresse", PiiKind.StreetAddress), ("strasse", PiiKind.StreetAddress),
        ("ip", PiiKind.IpAddress), ("ipaddress", PiiKind.IpAddress), ("ipv4", PiiKind.IpAddress), ("ipv6", PiiKind.IpAddress), ("remoteaddr", PiiKind.IpAddress),
        ("iban", PiiKind.Iban), ("bankaccount", PiiKind.Iban), ("accountnumber", PiiKind.Iban),
        ("creditcard", PiiKind.CreditCard), ("cardnumber", PiiKind.CreditCard), ("ccnumber", PiiKind.CreditCard), ("pan", PiiKind.CreditCard), ("cvv", PiiKind.CreditCard), ("cvc", PiiKind.CreditCard),
    ];

    // Suffixes that name personal data whatever precedes them (customer_email, billing_address, shipping_phone).
    private static readonly (string Suffix, PiiKind Kind)[] Suffixes =
    [
        ("email", PiiKind.Email), ("emailaddress", PiiKind.Email), ("phone", PiiKind.Phone), ("phonenumber", PiiKind.Phone),
        ("mobile", PiiKind.Phone), ("firstname", PiiKind.PersonName), ("lastname", PiiKind.PersonName), ("surname", PiiKind.PersonName),
        ("fullname", PiiKind.PersonName), ("address", PiiKind.StreetAddress), ("street", PiiKind.StreetAddress),
        ("ipaddress", PiiKind.IpAddress), ("iban", PiiKind.Iban), ("cardnumber", PiiKind.CreditCard),
    ];

    // "<who>name" is a person's name only for these <who>; product_name, brand_name, category_name are not.
    private static readonly HashSet<string> PersonPrefixes = new(StringComparer.Ordinal)
    {
        "customer", "contact", "user", "buyer", "recipient", "billing", "shipping", "sender", "receiver",
        "holder", "cardholder", "account", "client", "member", "person", "owner", "delivery", "invoice", "guest", "payer",
    };

    private static readonly HashSet<string> ProductCodeKeys = new(StringComparer.Ordinal)
    {
        "sku", "ean", "ean13", "gtin", "gtin13", "gtin14", "upc", "isbn", "isbn13", "barcode", "mpn", "productcode", "itemcode", "articlenumber",
    };

    private static readonly Dictionary<string, PiiKind> Exact = ExactKeys.ToDictionary(k => k.Key, k => k.Kind, StringComparer.Ordinal);

    /// <summary>The kind of personal data an attribute key names, or null for an ordinary key.</summary>
    public static PiiKind? KindOfKey(string key)
    {
        var k = NormalizeKey(key);
        if (k.Length == 0) return null;
        if (Exact.TryGetValue(k, out var exact)) return exact;
        foreach (var (suffix, kind) in Suffixes) if (k.EndsWith(suffix, StringComparison.Ordinal)) return kind;
        if (k.EndsWith("name", StringComparison.Ordinal) && PersonPrefixes.Contains(k[..^4])) return PiiKind.PersonName;
        return null;
    }

    /// <summary>
    /// Scrubs one attribute dictionary (user or event attributes). Returns a new dictionary without
    /// personal-data keys and with personal data masked inside the remaining values; counts go to
    /// <paramref name="report"/> (a new one when null, returned).
    /// </summary>
    public (Dictionary<string, string> Cleaned, ScrubReport Report) ScrubAttributes(IReadOnlyDictionary<string, string> attributes, ScrubReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        report ??= new ScrubReport();
        var cleaned = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var (key, value) in attributes)
        {
            if (KindOfKey(key) is { } k) { report.Drop(k, key); continue; }
            cleaned[key] = value is null ? value! : ScrubText(value, report, scanCards: !ProductCodeKeys.Contains(NormalizeKey(key)));
        }
        return (cleaned, report);
    }

    /// <summary>Masks personal data inside free text (search queries, notes, reviews); counts go to <paramref name="report"/>.</summary>
    public string ScrubText(string text, ScrubReport report) => ScrubText(text, report, scanCards: true);

    private static string ScrubText(string text, ScrubReport report, bool scanCards)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(report);
        if (text.Length == 0) return text;
        // Order matters: emails before phones (digits inside addresses), IBANs and cards before phones.
        var s = Replace(text, PiiPatterns.Email(), PiiKind.Email, "[email]", null, report);
        s = Replace(s, PiiPatterns.Iban(), PiiKind.Iban, "[iban]", m => PiiPatterns.IsIban(m), report);
        if (scanCards) s = Replace(s, PiiPatterns.CardCandidate(), PiiKind.CreditCard, "[card]", m => PiiPatterns.IsCardNumber(m), report);
        s = Replace(s, PiiPatterns.IPv4(), PiiKind.IpAddress, "[ip]", null, report);
        s = Replace(s, PiiPatterns.Phone(), PiiKind.Phone, "[phone]", m => PiiPatterns.IsPhone(m), report);
        s = Replace(s, PiiPatterns.StreetAddress(), PiiKind.StreetAddress, "[address]", null, report);
        s = Replace(s, PiiPatterns.HonorificName(), PiiKind.PersonName, "[name]", null, report);
        return s;
    }

    private static string Replace(string s, Regex regex, PiiKind kind, string placeholder, Func<string, bool>? confirm, ScrubReport report)
    {
        if (!regex.IsMatch(s)) return s;
        return regex.Replace(s, m =>
        {
            if (confirm is not null && !confirm(m.Value)) return m.Value;
            report.Mask(kind);
            return placeholder;
        });
    }

    /// <summary>Lower case, letters and digits only: "First-Name", "first_name", "FirstName" → "firstname".</summary>
    private static string NormalizeKey(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key) if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }
}
