from watcloud.cli import app

app()
