namespace Merx.Storage;

/// <summary>The one rule every backend applies to a text setting's value (see <see cref="ISettingsStore"/>).</summary>
internal static class SettingValue
{
    /// <summary>Throws <see cref="ArgumentException"/> for an empty value or one that looks like a number (SQLite's untyped meta table would turn it into one).</summary>
    public static void Check(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        if (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _))
            throw new ArgumentException("a setting must not look like a number (the meta table would turn it into one)", nameof(value));
    }
}
