"""The bundled sample datasets of a fictional company and the script that generates them."""
