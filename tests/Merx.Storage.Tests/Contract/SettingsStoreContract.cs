using Merx.Core.Domain;
using static Merx.Storage.Tests.StoreSamples;

namespace Merx.Storage.Tests.Contract;

/// <summary>
/// The settings and experiments role (<see cref="ISettingsStore"/>, issue #7): settings are
/// claimed once and swapped only from the expected value (one or several at once), state blobs are
/// replaced whole; both survive reopening.
/// </summary>
public abstract class SettingsStoreContract<TBackend> : StoreContract<TBackend> where TBackend : IStoreBackend, new()
{
    [SkippableFact]
    public void Settings_are_claimed_once_and_swapped_only_from_the_expected_value()
    {
        var store = NewStore();
        Assert.Null(store.GetSetting("pseudonym_key"));
        Assert.Equal("v1:aaaa", store.ClaimSetting("pseudonym_key", "v1:aaaa"));
        Assert.Equal("v1:aaaa", store.ClaimSetting("pseudonym_key", "v1:bbbb")); // the first claim wins
        Assert.False(store.ReplaceSetting("pseudonym_key", "v1:bbbb", "v2:cccc"));
        Assert.True(store.ReplaceSetting("pseudonym_key", "v1:aaaa", "v2:cccc"));
        store = Reopen(store);
        Assert.Equal("v2:cccc", store.GetSetting("pseudonym_key"));
        Assert.Throws<ArgumentException>(() => store.ClaimSetting("other", "12345"));
    }

    [SkippableFact]
    public void Several_settings_are_swapped_together_or_not_at_all()
    {
        var store = NewStore();
        store.ClaimSetting("pseudonym_key", "v1:aaaa");
        Assert.False(store.ReplaceSettings([new SettingSwap("pseudonym_key", "v1:aaaa", "v2:bbbb"), new SettingSwap("retired", "v0:zz", "v1:aaaa")]));
        Assert.Equal("v1:aaaa", store.GetSetting("pseudonym_key"));
        Assert.Null(store.GetSetting("retired"));
        Assert.True(store.ReplaceSettings([new SettingSwap("pseudonym_key", "v1:aaaa", "v2:bbbb"), new SettingSwap("retired", null, "v1:aaaa")]));
        store = Reopen(store);
        Assert.Equal("v2:bbbb", store.GetSetting("pseudonym_key"));
        Assert.Equal("v1:aaaa", store.GetSetting("retired"));
        Assert.False(store.ReplaceSettings([new SettingSwap("retired", null, "v9:cccc")])); // "unset" no longer holds
        Assert.Throws<ArgumentException>(() => store.ReplaceSettings([new SettingSwap("a", null, "x:1"), new SettingSwap("a", null, "x:2")]));
        Assert.Throws<ArgumentException>(() => store.ReplaceSettings([new SettingSwap("a", null, "42")]));
    }

    [SkippableFact]
    public void State_blobs_replace_and_survive_reopening()
    {
        var store = NewStore();
        Assert.Null(store.GetState("policy"));
        store.PutState("policy", [1, 2, 3]);
        store.PutState("policy", [4, 5]);
        store = Reopen(store);
        Assert.Equal([4, 5], store.GetState("policy"));
        Assert.Throws<ArgumentException>(() => store.PutState("", [1]));
    }
}
