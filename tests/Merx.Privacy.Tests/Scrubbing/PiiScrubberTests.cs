using Merx.Privacy.Scrubbing;

namespace Merx.Privacy.Tests.Scrubbing;

public class PiiScrubberTests
{
    private static readonly PiiScrubber Scrubber = new();

    private static (string Text, ScrubReport Report) Scrub(string text)
    {
        var r = new ScrubReport();
        return (Scrubber.ScrubText(text, r), r);
    }

    [Theory]
    [InlineData("write to jane.doe+shop@example.co.uk please", "[email]", PiiKind.Email)]
    [InlineData("J_DOE@MAIL.EXAMPLE.COM", "[email]", PiiKind.Email)]
    [InlineData("call +44 20 7946 0958 today", "[phone]", PiiKind.Phone)]
    [InlineData("+1 (415) 555-2671", "[phone]", PiiKind.Phone)]
    [InlineData("+33 6 12 34 56 78", "[phone]", PiiKind.Phone)]
    [InlineData("+4915112345678", "[phone]", PiiKind.Phone)]
    [InlineData("+49 (0)30 1234567", "[phone]", PiiKind.Phone)]
    [InlineData("tel 030 1234 5678", "[phone]", PiiKind.Phone)]
    [InlineData("06 12 34 56 78", "[phone]", PiiKind.Phone)]
    [InlineData("(020) 7946 0958", "[phone]", PiiKind.Phone)]
    [InlineData("415-555-2671", "[phone]", PiiKind.Phone)]
    [InlineData("card 4111 1111 1111 1111 exp 12/27", "[card]", PiiKind.CreditCard)]
    [InlineData("5500-0000-0000-0004", "[card]", PiiKind.CreditCard)]
    [InlineData("378282246310005", "[card]", PiiKind.CreditCard)]
    [InlineData("pay to DE89 3704 0044 0532 0130 00", "[iban]", PiiKind.Iban)]
    [InlineData("GB82WEST12345698765432", "[iban]", PiiKind.Iban)]
    [InlineData("FR1420041010050500013M02606", "[iban]", PiiKind.Iban)]
    [InlineData("from 192.168.1.20:8080", "[ip]", PiiKind.IpAddress)]
    [InlineData("8.8.8.8", "[ip]", PiiKind.IpAddress)]
    [InlineData("ship to 221B Baker Street, London", "[address]", PiiKind.StreetAddress)]
    [InlineData("1600 Pennsylvania Avenue NW", "[address]", PiiKind.StreetAddress)]
    [InlineData("Lieferung an Hauptstraße 5, Berlin", "[address]", PiiKind.StreetAddress)]
    [InlineData("12 rue de la Paix", "[address]", PiiKind.StreetAddress)]
    [InlineData("gift for Mrs Jane Smith", "[name]", PiiKind.PersonName)]
    [InlineData("bitte an Frau Müller", "[name]", PiiKind.PersonName)]
    [InlineData("Dr. Gregory House", "[name]", PiiKind.PersonName)]
    public void Finds_personal_data_in_text(string text, string placeholder, PiiKind kind)
    {
        var (s, r) = Scrub(text);
        Assert.Contains(placeholder, s);
        Assert.Equal(1, r.Masked.GetValueOrDefault(kind));
        Assert.Equal(1, r.TotalMasked);
    }

    [Theory]
    [InlineData("Price: $1,299.99 (was 1 499,00 €)")]
    [InlineData("SKU-0012-3456-789")]
    [InlineData("sku ABC-123-456-7890X")]
    [InlineData("order 2024-01-15 at 10:30:00")]
    [InlineData("15.01.2024")]
    [InlineData("01/15/2024")]
    [InlineData("timestamp 1700000000123")]
    [InlineData("ISBN 978-3-16-148410-0")]
    [InlineData("EAN 4006381333931")]
    [InlineData("iPhone 15 Pro Max 256GB, size 10.5, 2 pack")]
    [InlineData("Moisturizing cream for dry skin, 50 ml")]
    [InlineData("Running shoes for the road: Street style sneakers")]
    [InlineData("version 1.2.3 build 4")]
    [InlineData("1.2.3.4.5")]
    [InlineData("3 Ways To Save")]
    [InlineData("Order #100045678 contains 3 items")]
    [InlineData("0000 0000 0000 0000")]
    [InlineData("4111 1111 1111 1112")]
    [InlineData("DE00 0000 0000 0000 0000 00")]
    [InlineData("user@localhost")]
    [InlineData("Save 20% on 2 items")]
    [InlineData("24/7 support, 100 % cotton, 3x50g")]
    [InlineData("category 12345, brand 678")]
    public void Leaves_ordinary_text_alone(string text)
    {
        var (s, r) = Scrub(text);
        Assert.True(r.IsClean, $"masked {r} in '{text}' → '{s}'");
        Assert.Equal(text, s);
    }

    [Fact]
    public void Honorific_plus_capitalized_word_is_masked_even_in_a_brand()
    {
        // A known false positive, kept on purpose: the scrubber errs toward privacy, and a brand such as
        // "Mr. Clean" is indistinguishable from "Mr. Smith" by pattern alone.
        var (s, r) = Scrub("Mr. Clean Magic Eraser");
        Assert.Equal("[name] Eraser", s);
        Assert.Equal(1, r.Masked[PiiKind.PersonName]);
    }

    [Fact]
    public void Attributes_with_personal_keys_are_dropped_and_values_scanned()
    {
        var attrs = new Dictionary<string, string>
        {
            ["first_name"] = "Jane", ["Surname"] = "Doe", ["full-name"] = "Jane Doe", ["name"] = "Jane",
            ["email"] = "jane@example.com", ["customerEmail"] = "x@y.io", ["phone"] = "0301234567",
            ["billing_address"] = "1 Main St", ["ip_address"] = "10.0.0.1", ["shipping_name"] = "J. Doe",
            ["product_name"] = "Serum 30 ml", ["brand_name"] = "Acme", ["age_band"] = "30-39", ["country"] = "DE",
            ["note"] = "call me on +49 151 12345678 or mail jane@example.com", ["price"] = "19.99",
            ["ean"] = "4111111111111111", ["campaign"] = "summer-2024",
        };
        var (clean, report) = Scrubber.ScrubAttributes(attrs);
        Assert.Equal(["age_band", "brand_name", "campaign", "country", "ean", "note", "price", "product_name"], clean.Keys.Order());
        Assert.Equal("call me on [phone] or mail [email]", clean["note"]);
        Assert.Equal("4111111111111111", clean["ean"]); // product-code keys are not scanned for cards
        Assert.Equal(10, report.TotalDropped);
        Assert.Equal(5, report.Dropped[PiiKind.PersonName]);
        Assert.Equal(2, report.Dropped[PiiKind.Email]);
        Assert.Equal(1, report.Dropped[PiiKind.Phone]);
        Assert.Equal(1, report.Dropped[PiiKind.StreetAddress]);
        Assert.Equal(1, report.Dropped[PiiKind.IpAddress]);
        Assert.Equal(2, report.TotalMasked);
        Assert.Contains("first_name", report.DroppedKeys);
        // The report never carries a value.
        Assert.DoesNotContain("jane", report.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Jane", string.Join(",", report.DroppedKeys));
    }

    [Theory]
    [InlineData("first_name", PiiKind.PersonName)]
    [InlineData("LastName", PiiKind.PersonName)]
    [InlineData("customer_name", PiiKind.PersonName)]
    [InlineData("E-Mail", PiiKind.Email)]
    [InlineData("mobile_phone", PiiKind.Phone)]
    [InlineData("street_address", PiiKind.StreetAddress)]
    [InlineData("card_number", PiiKind.CreditCard)]
    [InlineData("IBAN", PiiKind.Iban)]
    [InlineData("client_ip", null)]
    [InlineData("product_name", null)]
    [InlineData("category_name", null)]
    [InlineData("file_name", null)]
    [InlineData("email_opt_in", null)]
    [InlineData("phone_model", null)]
    [InlineData("size", null)]
    public void Key_classification(string key, PiiKind? expected) => Assert.Equal(expected, PiiScrubber.KindOfKey(key));

    [Fact]
    public void Reports_accumulate_and_count_each_occurrence()
    {
        var r = new ScrubReport();
        Scrubber.ScrubText("a@b.com, c@d.org and +44 20 7946 0958", r);
        var r2 = new ScrubReport();
        Scrubber.ScrubText("e@f.net", r2);
        r.Add(r2);
        Assert.Equal(3, r.Masked[PiiKind.Email]);
        Assert.Equal(1, r.Masked[PiiKind.Phone]);
        Assert.Contains("Email 3", r.ToString());
    }
}
