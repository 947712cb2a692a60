using Merx.Core.Domain;
using Merx.Privacy.Scrubbing;
using Merx.Service.Privacy;
using Merx.Storage;

namespace Merx.Service.Users;

/// <summary>
/// A user's attributes as a host sets them (the server's PUT): during a key rotation the user is first renamed to
/// the current pseudonym, then the id is pseudonymized and personal data dropped or masked (<see cref="IngestPrivacy.User"/>)
/// before anything is written. Callers validate the sizes first.
/// </summary>
public sealed class UserProfiles(IUserStore store, IngestPrivacy privacy)
{
    /// <summary>Stores the user's scrubbed attributes under its pseudonym; returns the stored profile and what was scrubbed.</summary>
    public (UserProfile Stored, ScrubReport Report) Set(string shopId, IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(shopId);
        ArgumentNullException.ThrowIfNull(attributes);
        var report = new ScrubReport();
        privacy.Ids.Rekey([shopId]);
        var user = privacy.User(new UserProfile { Id = shopId, Attributes = attributes }, report);
        store.UpsertUsers([user]);
        return (user, report);
    }
}
