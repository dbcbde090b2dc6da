"""Project versions of Scrapy commands (COMMANDS_MODULE)."""
