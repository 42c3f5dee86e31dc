"""The head of every self-contained HTML page complaintctl writes (the monthly report, the
printed complaint forms): its language, a Content-Security-Policy that lets nothing be
fetched, its title and its inline styles."""

HEAD = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="complaintctl">
<title>{title}</title>
<style>{css}</style>
</head>
<body>"""
