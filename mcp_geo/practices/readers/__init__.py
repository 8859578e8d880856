"""Readers of the official files (list sizes, practice map, register, postcodes) and of a user's
own sites file: each validates its input and names the file, row and field of every problem."""
