using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Merx.Core.Domain;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Merx.Dashboard.Tests;

// The dashboard in a real browser (issue #8): it loads and shows the shop's data, the live view
// shows a user's recommendations, and clicking one sends feedback that the page reflects at once.
// Screenshots are saved under the test output folder (screenshots/). Each class serves its own copy of the shop.

/// <summary>Opens the dashboard in a fresh page of the fixture's browser and saves screenshots.</summary>
public abstract class BrowserTestBase(DashboardFixture fixture, ITestOutputHelper output)
{
    protected DashboardFixture Fixture => fixture;
    protected static readonly LocatorAssertionsToHaveCountOptions Wait = new() { Timeout = 20_000 };

    protected async Task<IPage> OpenAsync()
    {
        await fixture.StartAsync();
        var page = await fixture.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(20_000);
        page.Console += (_, m) => { if (m.Type == "error") output.WriteLine("browser console: " + m.Text); };
        page.PageError += (_, e) => output.WriteLine("page error: " + e);
        var response = await page.GotoAsync(fixture.BaseUrl + "/");
        Assert.Equal(200, response!.Status);
        return page;
    }

    protected async Task ShotAsync(IPage page, string name)
    {
        var path = Path.Combine(DashboardFixture.Screenshots, name + ".png");
        await page.EvaluateAsync("window.scrollTo(0, 0)"); // the sticky header stays on top of a full-page shot
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine("screenshot: " + path);
    }
}

/// <summary>The dashboard loads and shows the shop's data (counts, SVG charts, models, experiments and privacy).</summary>
public sealed class DashboardOverviewTests(DashboardFixture fixture, ITestOutputHelper output) : BrowserTestBase(fixture, output), IClassFixture<DashboardFixture>
{
    [BrowserFact]
    public async Task Dashboard_loads_and_shows_the_shops_data()
    {
        var page = await OpenAsync();
        var stats = Fixture.Store.GetStats();
        var events = page.Locator("#stat-events");
        await Assertions.Expect(events).ToHaveTextAsync(stats.Events.ToString("N0", CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#stat-users")).ToHaveTextAsync(stats.Users.ToString("N0", CultureInfo.InvariantCulture));
        // The charts are SVG: one bar per kind, stacked day bars on the timeline.
        await Assertions.Expect(page.Locator("#chart-kinds svg rect")).ToHaveCountAsync(stats.EventsByKind.Count(c => c > 0), new() { Timeout = 20_000 });
        Assert.True(await page.Locator("#chart-timeline svg rect").CountAsync() >= 10);
        await Assertions.Expect(page.Locator("#timeline-legend")).ToContainTextAsync("purchase");
        // Models: every published version, the served ones marked.
        await Assertions.Expect(page.Locator("#models-table tbody tr")).ToHaveCountAsync(Fixture.Store.ListModels().Count, Wait);
        await Assertions.Expect(page.Locator("#models-table tbody")).ToContainTextAsync("sasrec");
        Assert.True(await page.Locator("#models-table .badge.serving").CountAsync() >= 3);
        await Assertions.Expect(page.Locator("#health")).ToContainTextAsync("serving");
        // Experiments and privacy say what exists.
        await Assertions.Expect(page.Locator("#experiments")).ToContainTextAsync("none yet");
        await Assertions.Expect(page.Locator("#privacy")).ToContainTextAsync("Pseudonymization");
        // The fixture's models are trained without DP-SGD: the status says so, model by model (issue #16).
        await Assertions.Expect(page.Locator("#privacy .state.off")).ToHaveTextAsync("off");
        await Assertions.Expect(page.Locator("#privacy")).ToContainTextAsync("(primary): trained without DP-SGD");
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        await ShotAsync(page, "dashboard-overview");
        await page.CloseAsync();
    }
}

/// <summary>The live view: a user's recommendations, and a click that sends feedback and updates the page.</summary>
public sealed class DashboardLiveTests(DashboardFixture fixture, ITestOutputHelper output) : BrowserTestBase(fixture, output), IClassFixture<DashboardFixture>
{
    [BrowserFact]
    public async Task Clicking_a_recommendation_sends_feedback_and_the_page_updates()
    {
        // An experiment runs on this copy of the shop: the panel shows it with its variants.
        await Fixture.StartAsync();
        using (var http = new HttpClient { BaseAddress = new Uri(Fixture.BaseUrl) })
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", DashboardFixture.Key);
            var created = await http.PostAsJsonAsync("/api/experiments", new { id = "explore-test", metric = "click", variants = new object[] { new { name = "control", share = 0.5 }, new { name = "no-explore", share = 0.5, explore = false } } });
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }
        var page = await OpenAsync();
        await Assertions.Expect(page.Locator("#experiments .experiment[data-id=explore-test]")).ToContainTextAsync("running");
        await Assertions.Expect(page.Locator("#experiments .experiment tbody tr")).ToHaveCountAsync(2, Wait);
        const string user = "u17";
        var recs = page.Locator("#recs .rec");
        await Assertions.Expect(recs).ToHaveCountAsync(12, Wait); // the most recently active user, shown on load
        await page.FillAsync("#user-input", user);
        await page.ClickAsync("#user-form button[type=submit]");
        await Assertions.Expect(page.Locator("#events-user")).ToContainTextAsync(user);
        await Assertions.Expect(page.Locator("#events li").First).ToHaveAttributeAsync("data-item", Fixture.Store.RecentEvents(Fixture.Pseudonym(user), 1).Single().Item!);
        await Assertions.Expect(recs).ToHaveCountAsync(12, Wait);
        await Assertions.Expect(page.Locator("#recs-meta")).ToContainTextAsync("explored");
        // Every card shows a score and an explanation; exploration is marked.
        Assert.Matches(new Regex("score \\d"), await recs.First.InnerTextAsync());
        Assert.Equal(await page.Locator("#recs .rec[data-explored=true]").CountAsync(), await page.Locator("#recs .rec .badge.explored").CountAsync());
        await ShotAsync(page, "dashboard-live-before-click");

        var target = recs.Nth(2);
        var item = (await target.GetAttributeAsync("data-item"))!;
        var explored = await target.GetAttributeAsync("data-explored") == "true";
        long Clicks() => Fixture.Store.FeedbackCounts().Where(c => c.Key.Kind == EventKind.Click).Sum(c => c.Value);
        var before = Clicks();
        await target.ClickAsync();

        // The click became the user's newest event: the events list shows it first, highlighted ...
        var newest = page.Locator("#events li").First;
        await Assertions.Expect(newest).ToHaveAttributeAsync("data-item", item);
        await Assertions.Expect(newest).ToHaveAttributeAsync("data-kind", "click");
        await Assertions.Expect(newest).ToHaveClassAsync(new Regex("fresh"));
        // ... the store has the event and the attributed feedback ...
        var stored = Fixture.Store.RecentEvents(Fixture.Pseudonym(user), 1).Single();
        Assert.Equal((item, EventKind.Click), (stored.Item, stored.Kind));
        Assert.Equal(before + 1, Clicks());
        // ... and the recommendations were recomputed without the item just seen.
        await Assertions.Expect(page.Locator($"#recs .rec[data-item=\"{item}\"]")).ToHaveCountAsync(0, Wait);
        await Assertions.Expect(recs).ToHaveCountAsync(12, Wait);
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        // The explore/exploit panel counts the lists served to this page and the click on the right kind of slot.
        await Assertions.Expect(page.Locator("#stat-served")).ToHaveTextAsync(new Regex("^[1-9]"));
        await Assertions.Expect(page.Locator(explored ? "#ee-ctr-explored-sub" : "#ee-ctr-exploited-sub")).ToHaveTextAsync(new Regex("^1 click on [1-9]"));
        Assert.True(await page.Locator("#chart-ee-rate svg circle").CountAsync() > 0);
        await ShotAsync(page, "dashboard-live-after-click");
        await page.CloseAsync();
    }
}

/// <summary>
/// A browser that is not on the server's machine: the host name merx-shop.test is mapped to the
/// loopback socket inside Chromium, so the page arrives under a name the server does not treat as
/// local (as after DNS rebinding, or over a network) and must ask for the API key.
/// </summary>
public sealed class DashboardRemoteTests(DashboardFixture fixture, ITestOutputHelper output) : BrowserTestBase(fixture, output), IClassFixture<DashboardFixture>
{
    [BrowserFact]
    public async Task A_remote_browser_gives_the_key_once_per_tab_and_can_then_send_feedback()
    {
        await Fixture.StartAsync();
        var browser = await Fixture.LaunchAsync("--host-resolver-rules=MAP merx-shop.test 127.0.0.1");
        try
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
            page.SetDefaultTimeout(20_000);
            var url = $"http://merx-shop.test:{new Uri(Fixture.BaseUrl).Port}/";
            Assert.Equal(401, (await page.GotoAsync(url))!.Status);
            Assert.DoesNotContain(DashboardFixture.Key, await page.ContentAsync());
            await page.FillAsync("input[name=key]", "not-the-key");
            await page.ClickAsync("#key-form button");
            await Assertions.Expect(page.Locator("main .error")).ToContainTextAsync("does not match");
            await ShotAsync(page, "dashboard-remote-key-page");

            await page.FillAsync("input[name=key]", DashboardFixture.Key);
            await page.ClickAsync("#key-form button");
            await Assertions.Expect(page.Locator("#stat-events")).Not.ToHaveTextAsync("–");
            Assert.DoesNotContain("key=", page.Url); // taken out of the address bar (and history) at once
            Assert.Equal(DashboardFixture.Key, await page.EvaluateAsync<string>("sessionStorage.getItem('merx-key')"));

            // Writes carry the key: a click on a recommendation is accepted and shows up.
            var recs = page.Locator("#recs .rec");
            await Assertions.Expect(recs).ToHaveCountAsync(12, Wait);
            var item = (await recs.Nth(1).GetAttributeAsync("data-item"))!;
            await recs.Nth(1).ClickAsync();
            await Assertions.Expect(page.Locator("#events li").First).ToHaveAttributeAsync("data-item", item);
            await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();

            // Opening the dashboard again in this tab needs no typing: the kept key is sent once more.
            await page.GotoAsync(url);
            await Assertions.Expect(page.Locator("#stat-events")).Not.ToHaveTextAsync("–");
            Assert.DoesNotContain("key=", page.Url);
        }
        finally { await browser.CloseAsync(); }
    }
}
