using System.CommandLine;
using Merx.Storage;
using Merx.Privacy.Pseudonymization;
using Merx.Service.Privacy;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx pseudonym`: what Merx stores (and returns in audiences) for the shop's user ids, so the shop can
/// map audiences back to its customers. The same figure is HMAC-SHA256(key, UTF-8 id), its first 16
/// bytes in unpadded base64url, prefixed <c>p{version}_</c>: a shop can compute it itself.
/// </summary>
internal static class PseudonymCommand
{
    public static Command Create()
    {
        var db = Cli.Db(required: false);
        var user = new Option<string[]>("--user") { Description = "a user id as the shop knows it (repeat for several)" };
        var ids = new Option<string?>("--ids") { Description = "a file with one user id per line; prints id<TAB>pseudonym per line" };
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("pseudonym", "Print the pseudonym Merx stores for user ids (HMAC-SHA256 with MERX_PSEUDONYM_KEY), to map campaign audiences back to customers.")
        {
            db, user, ids, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var users = (parse.GetValue(user) ?? []).ToList();
            if (parse.GetValue(ids) is { } file) users.AddRange(File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0));
            if (users.Count == 0) throw new ArgumentException("give --user ID or --ids FILE");
            var path = parse.GetValue(db);
            var key = PseudonymKeys.Resolve(path ?? "merx.db", KeyUse.Read, keyFile: parse.GetValue(keyFile));
            if (path is not null)
            {
                if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path}");
                using var store = Merx.Storage.MerxStores.Open(path);
                PseudonymKeys.Bind(store, key);
            }
            using var pseudonymizer = new Pseudonymizer(key.Key);
            foreach (var u in users) Console.WriteLine(users.Count == 1 && parse.GetValue(ids) is null ? pseudonymizer.Pseudonymize(u) : $"{u}\t{pseudonymizer.Pseudonymize(u)}");
            return 0;
        }));
        return command;
    }
}
