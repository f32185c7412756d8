"""The composition root and the command line: where the core package (privacy_desk) meets the channels
(mail_ingest, bot, staff_web) and the processes that run them. The core imports nothing from here."""
