namespace KisFeed.IntegrationTests;
