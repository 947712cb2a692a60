using Merx.Service.Catalog;
using Merx.Service.Experiments;
using Merx.Service.Privacy;
using Merx.Service.Security;
using Merx.Service.Serving;
using Merx.Service.Telemetry;
using Merx.Service.Training;
using Merx.Service.Trust;
using Merx.Service.Users;
using Merx.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Merx.Service;

/// <summary>
/// The service layer's composition, host-neutral: the settings checked, the keys resolved, the store opened and
/// handed out by role, and the model host, recommendation, training, user-lifecycle and catalog services with
/// their background loops. A host adds its transport on top (<c>Merx.Server.MerxApp</c>: HTTP).
/// </summary>
public static class MerxServices
{
    public static IServiceCollection AddMerxServices(this IServiceCollection services, MerxServerOptions options)
    {
        if (options.Problems() is { Count: > 0 } problems) throw new ArgumentException($"invalid settings (section {MerxServerOptions.Section}): {string.Join("; ", problems)}", nameof(options));
        // Built now, so that a server without a usable key (or with a malformed key list or file) refuses to start.
        services.AddSingleton(new ApiKeyRing(options.ApiKey, options.ApiKeys, options.ApiKeysFile));
        services.AddSingleton(Options.Create(options));
        // The key is resolved before anything is served: a server without a usable key refuses to start.
        var key = PseudonymKeys.Resolve(options.Db, KeyUse.Serve, options.PseudonymKey, options.PseudonymKeyFile, options.LoopbackOnly, configuredOldKeys: options.PseudonymOldKeys);
        services.AddSingleton(sp => new UserIds(key.Key, key.OldKeys, sp.GetRequiredService<IUserStore>()));
        services.AddSingleton(sp => new UserLifecycle(sp.GetRequiredService<IUserStore>(), sp.GetRequiredService<IUserChangeFeed>(), sp.GetRequiredService<UserIds>()));
        services.AddSingleton<IngestPrivacy>();
        services.AddSingleton<IMerxStore>(_ =>
        {
            var store = MerxStores.Open(options.Db, new Storage.Sqlite.SqliteStoreOptions { Durability = options.Durability, ReadConnections = options.SqliteReadConnections });
            try { PseudonymKeys.Bind(store, key); }
            catch { store.Dispose(); throw; }
            return Storage.Tracing.TracedStore.Wrap(store);
        });
        // One store, handed out by role: each service asks only for the roles it uses.
        services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<ICatalogStore>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<IModelRegistry>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<IServingLog>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<ISettingsStore>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<IUserChangeFeed>(sp => sp.GetRequiredService<IMerxStore>());
        services.AddSingleton<ServingLoad>();
        services.AddSingleton<MerxMetrics>();
        // Holders of per-user state register with the lifecycle as they are made (it reads the change feed's position first).
        services.AddSingleton(Holder<PolicyHost>);
        services.AddHostedService(sp => sp.GetRequiredService<PolicyHost>());
        services.AddSingleton<ItemTextVectors>();
        services.AddHostedService(sp => sp.GetRequiredService<ItemTextVectors>());
        services.AddSingleton(sp => new CatalogWrites(sp.GetRequiredService<IMerxStore>(), sp.GetRequiredService<ModelHost>(), sp.GetRequiredService<ItemTextVectors>()));
        services.AddSingleton<ItemImageVectors>();
        services.AddHostedService(sp => sp.GetRequiredService<ItemImageVectors>());
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        services.AddSingleton<TrainingService>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingService>());
        services.AddSingleton(Holder<ServedLog>);
        services.AddHostedService(sp => sp.GetRequiredService<ServedLog>());
        services.AddSingleton(Holder<ExperimentService>);
        services.AddSingleton(Holder<HistoryCache>);
        services.AddSingleton(Holder<UserLinks>);
        services.AddSingleton(sp => new UserProfiles(sp.GetRequiredService<IMerxStore>(), sp.GetRequiredService<IngestPrivacy>()));
        services.AddSingleton(Holder<IngestSignals>);
        services.AddHostedService(sp => sp.GetRequiredService<IngestSignals>());
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<FeedbackIntake>();
        services.AddSingleton<SegmentRelease>();
        return services;
    }

    private static T Holder<T>(IServiceProvider sp) where T : IUserStateHolder =>
        sp.GetRequiredService<UserLifecycle>().Register(ActivatorUtilities.CreateInstance<T>(sp));
}
