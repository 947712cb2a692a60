using System.CommandLine;
using Merx.Storage;
using Merx.Service.Users;

namespace Merx.Cli.Commands;

/// <summary>
/// `merx forget`: the right to be forgotten from the command line. The id is the shop's own; it is
/// pseudonymized with the store's key (and with every older key of a rotation in progress), and the user's events, sessions, profile, served lists and
/// feedback are deleted (through <see cref="UserLifecycle.Forget"/>, like the server's DELETE: the store
/// records the deletion in its change feed, so a server running on the same file drops the user from
/// memory before its next answer); then the file is rebuilt (VACUUM) and the write-ahead log truncated, so no
/// copy survives in free pages. The next `merx train` does not see the user.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var user = new Option<string[]>("--user") { Description = "the user's id as the shop knows it (repeat for several users)", Required = true, AllowMultipleArgumentsPerToken = false };
        var noRebuild = new Option<bool>("--no-rebuild") { Description = "skip the VACUUM rebuild (deleted bytes are still overwritten and the log truncated; faster on large stores)" };
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("forget", "Forget users (right to be forgotten): delete their events, sessions, profile, served recommendations and feedback, then rebuild the store so that nothing of them remains in the file.")
        {
            db, user, noRebuild, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path}");
            var users = parse.GetValue(user) ?? [];
            if (users.Length == 0 || users.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("--user: give the user's id");
            var (opened, userIds) = CliPrivacy.OpenForLookup(path, parse.GetValue(keyFile));
            using var store = opened;
            using var ids = userIds;
            var lifecycle = new UserLifecycle(store, ids);
            foreach (var u in users)
            {
                var removed = lifecycle.Forget(u);
                Console.WriteLine($"forgot user {u}: {removed:N0} events removed, with their sessions, profile, served lists and feedback");
            }
            if (!parse.GetValue(noRebuild))
            {
                Cli.Progress.Report($"forget: rebuilding {path} so that no deleted bytes remain");
                store.EraseFreedSpace(rebuild: true);
            }
            Console.WriteLine($"{path}: write-ahead log checkpointed and truncated{(parse.GetValue(noRebuild) ? "" : ", file rebuilt")}; retrain ('merx train') to drop the users from the served models");
            return 0;
        }));
        return command;
    }
}
